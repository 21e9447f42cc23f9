import { tenantCreateSchema } from "@minicloud/shared";
import { Args } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk } from "../../lib/output.ts";
import { quotaFlags, quotaUpdateFrom } from "../../lib/quota-flags.ts";

export default class TenantsCreate extends BaseCommand {
  static override summary = "Create a tenant and print its first API key (shown once). Admin only.";
  static override examples = [
    "<%= config.bin %> tenants create acme",
    "<%= config.bin %> tenants create acme --max-instances 5 --max-memory 2g --json",
  ];
  static override args = { name: Args.string({ description: "tenant name", required: true }) };
  static override flags = { ...quotaFlags };

  async run() {
    const { args, flags } = await this.parse(TenantsCreate);
    const request = { name: args.name, quota: quotaUpdateFrom(flags) };
    tenantCreateSchema.parse(request);
    const created = await (await this.client()).tenants.create(request);
    this.say(`${chalk.green("✔")} tenant ${created.tenant.name} created`);
    this.say(`  API key (shown once, store it now): ${chalk.bold(created.apiKey.key)}`);
    return created;
  }
}
