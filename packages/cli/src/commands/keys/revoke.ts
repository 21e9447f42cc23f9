import { Args } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";

export default class KeysRevoke extends BaseCommand {
  static override summary = "Revoke an API key; it fails at once.";
  static override examples = ["<%= config.bin %> keys revoke ab12cd34"];
  static override args = { id: Args.string({ description: "key id (see mc keys list)", required: true }) };

  async run() {
    const { args } = await this.parse(KeysRevoke);
    await (await this.client()).account.revokeKey(args.id);
    this.say(`key ${args.id} revoked`);
    return { revoked: true, id: args.id };
  }
}
