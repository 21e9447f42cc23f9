import { quotaUpdateSchema } from "@minicloud/shared";
import { Args } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { quotaFlags, quotaUpdateFrom } from "../../lib/quota-flags.ts";
import { renderQuota } from "../../lib/render-quota.ts";
import { UsageError } from "../../lib/usage-error.ts";

export default class TenantsQuota extends BaseCommand {
  static override summary = "Override a tenant's quota limits. Admin only.";
  static override examples = [
    "<%= config.bin %> tenants quota acme --max-instances 20 --max-cpus 8 --max-memory 8g --max-storage 50g --max-apps 100",
  ];
  static override args = { name: Args.string({ description: "tenant name", required: true }) };
  static override flags = { ...quotaFlags };

  async run() {
    const { args, flags } = await this.parse(TenantsQuota);
    const update = quotaUpdateFrom(flags);
    if (Object.keys(update).length === 0)
      throw new UsageError("give at least one of --max-instances, --max-cpus, --max-memory, --max-storage, --max-apps");
    quotaUpdateSchema.parse(update);
    const tenant = await (await this.client()).tenants.setQuota(args.name, update);
    this.say(`tenant ${tenant.name}\n${renderQuota(tenant.limits, tenant.usage)}`);
    return tenant;
  }
}
