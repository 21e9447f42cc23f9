import { BaseCommand } from "../../lib/base-command.ts";
import { chalk } from "../../lib/output.ts";

export default class AuditVerify extends BaseCommand {
  static override summary = "Verify the audit log's hash chain; exits 1 when an entry was edited or removed. Admin only.";
  static override examples = ["<%= config.bin %> audit verify", "<%= config.bin %> audit verify --json"];

  async run() {
    await this.parse(AuditVerify);
    const result = await (await this.client()).account.verifyAudit();
    if (!result.ok) {
      this.say(`${chalk.red("✖")} audit log broken at entry ${result.brokenAt}: ${result.reason} (${result.entries} entries read)`);
      if (this.jsonEnabled()) this.logJson(result);
      this.exit(1);
    }
    this.say(`${chalk.green("✔")} audit log intact: ${result.entries} entries, each chained to the one before`);
    return result;
  }
}
