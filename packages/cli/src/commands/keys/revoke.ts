import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";

export default class KeysRevoke extends BaseCommand {
  static override summary = "Revoke an API key; it fails at once.";
  static override description =
    "Revoking a tenant's last active key with that very key would lock the tenant out (only an admin could give it a new one): that is refused unless --force.";
  static override examples = ["<%= config.bin %> keys revoke ab12cd34", "<%= config.bin %> keys revoke ab12cd34 --force"];
  static override flags = { force: Flags.boolean({ description: "revoke even the last key you are using (you lose access)" }) };
  static override args = { id: Args.string({ description: "key id (see mc keys list)", required: true }) };

  async run() {
    const { args, flags } = await this.parse(KeysRevoke);
    await (await this.client()).account.revokeKey(args.id, { force: flags.force });
    this.say(`key ${args.id} revoked`);
    return { revoked: true, id: args.id };
  }
}
