import { BaseCommand } from "../lib/base-command.ts";
import { renderQuota } from "../lib/render-quota.ts";

export default class Quota extends BaseCommand {
  static override summary = "Show your tenant's usage against its limits.";
  static override description = "Running apps hold instances, CPU and memory; stopped apps release them; volumes hold storage.";
  static override examples = ["<%= config.bin %> quota", "<%= config.bin %> quota --json", "<%= config.bin %> quota --tenant acme"];

  async run() {
    await this.parse(Quota);
    const quota = await (await this.client()).account.quota();
    this.say(`tenant ${quota.tenant}\n${renderQuota(quota.limits, quota.usage)}`);
    return quota;
  }
}
