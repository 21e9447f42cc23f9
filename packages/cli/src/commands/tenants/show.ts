import { Args } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { renderQuota } from "../../lib/render-quota.ts";

export default class TenantsShow extends BaseCommand {
  static override summary = "Show a tenant: apps, keys, usage and limits. Admin only.";
  static override examples = ["<%= config.bin %> tenants show acme"];
  static override args = { name: Args.string({ description: "tenant name", required: true }) };

  async run() {
    const { args } = await this.parse(TenantsShow);
    const tenant = await (await this.client()).tenants.get(args.name);
    this.say(`tenant ${tenant.name} (created ${tenant.createdAt}) — ${tenant.apps} apps, ${tenant.keys} active keys\n`);
    this.say(renderQuota(tenant.limits, tenant.usage));
    return tenant;
  }
}
