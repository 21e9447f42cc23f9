import { BaseCommand } from "../lib/base-command.ts";
import { configPath, removeStored } from "../lib/credentials.ts";

export default class Logout extends BaseCommand {
  static override summary = "Forget the stored host and API key.";
  static override examples = ["<%= config.bin %> logout"];

  async run() {
    await this.parse(Logout);
    const removed = await removeStored();
    this.say(removed ? `removed ${configPath()}` : "not logged in");
    return { loggedOut: removed };
  }
}
