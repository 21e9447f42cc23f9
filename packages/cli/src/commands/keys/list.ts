import { BaseCommand } from "../../lib/base-command.ts";
import { table } from "../../lib/output.ts";

export default class KeysList extends BaseCommand {
  static override summary = "List your tenant's API keys (ids and names; never the keys).";
  static override examples = ["<%= config.bin %> keys list"];

  async run() {
    await this.parse(KeysList);
    const keys = await (await this.client()).account.listKeys();
    this.say(
      table(
        ["ID", "NAME", "ROLE", "CREATED", "EXPIRES", "REVOKED"],
        keys.map((k) => [k.id, k.name, k.role, k.createdAt, k.expiresAt, k.revokedAt]),
      ),
    );
    return { keys };
  }
}
