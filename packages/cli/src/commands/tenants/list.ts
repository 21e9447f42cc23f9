import { BaseCommand } from "../../lib/base-command.ts";
import { formatMemory, table } from "../../lib/output.ts";

export default class TenantsList extends BaseCommand {
  static override summary = "List tenants with their usage. Admin only.";
  static override examples = ["<%= config.bin %> tenants list", "<%= config.bin %> tenants list --json"];

  async run() {
    await this.parse(TenantsList);
    const tenants = await (await this.client()).tenants.list();
    this.say(
      table(
        ["TENANT", "APPS", "KEYS", "INSTANCES", "CPUS", "MEMORY"],
        tenants.map((t) => [
          t.name,
          t.apps,
          t.keys,
          `${t.usage.instances}/${t.limits.maxInstances}`,
          `${t.usage.cpus}/${t.limits.maxCpus}`,
          `${formatMemory(t.usage.memory)}/${formatMemory(t.limits.maxMemory)}`,
        ]),
      ),
    );
    return { tenants };
  }
}
