import type { AuditEntry } from "@minicloud/shared";
import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { printNdjson } from "../../lib/ndjson.ts";
import { chalk } from "../../lib/output.ts";

export default class Audit extends BaseCommand {
  static override summary = "Read the audit log: every mutating call and every auth failure.";
  static override description =
    "Admins see all tenants unless --tenant is given; tenant keys see their own tenant. --json prints one entry per line.";
  static override examples = [
    "<%= config.bin %> audit",
    "<%= config.bin %> audit -f --tenant acme",
    "<%= config.bin %> audit --tail 20 --json",
  ];
  static override flags = {
    follow: Flags.boolean({ char: "f", description: "keep streaming new entries" }),
    tail: Flags.integer({ char: "n", description: "only the last N entries", min: 1 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Audit);
    const client = await this.client();
    const stream = await client.account.audit({ follow: flags.follow, tail: flags.tail, allTenants: !flags.tenant });
    await printNdjson<AuditEntry>(stream, this.jsonEnabled(), (entry) => {
      const who = entry.actor.keyId
        ? `key ${entry.actor.keyId}`
        : entry.actor.role === "anonymous"
          ? "anonymous"
          : `${entry.actor.transport} admin`;
      const outcome =
        entry.outcome.status < 400 ? chalk.green(entry.outcome.status) : chalk.red(`${entry.outcome.status} ${entry.outcome.code ?? ""}`);
      // An exec session: which instance ran what (JSON-quoted words, so spaces and quotes stay readable).
      const exec = entry.exec
        ? ` ${chalk.cyan(`[${entry.exec.instance ?? "-"}]`)} ${entry.exec.command.map((w) => JSON.stringify(w)).join(" ")}`
        : "";
      return `${chalk.dim(entry.ts)} #${entry.seq} ${who} [${entry.tenant ?? "-"}] ${entry.action}${exec} → ${outcome}`;
    });
  }
}
