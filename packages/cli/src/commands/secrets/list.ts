import type { SecretList } from "@minicloud/shared";
import { appArg, validAppName } from "../../lib/app-args.ts";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk, table } from "../../lib/output.ts";

export default class SecretsList extends BaseCommand {
  static override summary = "List an app's secrets: name, digest, when it was set, whether the running release has it. Never values.";
  static override description =
    "The digest is an HMAC of the value under a key of your tenant's: equal values have equal digests, and a short value cannot be guessed from it offline.";
  static override examples = ["<%= config.bin %> secrets list web", "<%= config.bin %> secrets list web --json"];
  static override args = { app: appArg };

  async run(): Promise<SecretList> {
    const { args } = await this.parse(SecretsList);
    const list = await (await this.client()).secrets.list(validAppName(args.app));
    const rows = list.secrets.map((s) => [
      s.name,
      s.digest,
      s.createdAt.replace("T", " ").slice(0, 19),
      s.deployed ? chalk.green("yes") : chalk.yellow("staged"),
    ]);
    for (const name of list.pendingRemoval) rows.push([name, "-", "-", chalk.yellow("removal staged")]);
    this.say(
      rows.length === 0
        ? `${list.app} has no secrets — set one with \`mc secrets set ${list.app} NAME=-\` (value from stdin)`
        : table(["NAME", "DIGEST", "SET", "DEPLOYED"], rows),
    );
    return list;
  }
}
