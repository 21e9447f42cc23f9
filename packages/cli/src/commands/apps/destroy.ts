import { Flags } from "@oclif/core";
import { appArg, validAppName } from "../../lib/app-args.ts";
import { BaseCommand } from "../../lib/base-command.ts";
import { confirmByName } from "../../lib/interaction.ts";

export default class AppsDestroy extends BaseCommand {
  static override summary = "Destroy an app: its instances and everything they own.";
  static override description = "Asks for the app's name on a TTY; scripts must pass --yes.";
  static override aliases = ["destroy"];
  static override examples = ["<%= config.bin %> apps destroy web", "<%= config.bin %> destroy web --yes"];
  static override args = { app: appArg };
  static override flags = { yes: Flags.boolean({ char: "y", description: "do not ask for confirmation" }) };

  async run() {
    const { args, flags } = await this.parse(AppsDestroy);
    const name = validAppName(args.app);
    if (!(await confirmByName({ yes: flags.yes, name, what: `destroying ${name} removes its instances and everything they own` }))) {
      this.say("nothing destroyed");
      return { destroyed: false, name };
    }
    await (await this.client()).apps.destroy(name);
    this.say(`${name} destroyed`);
    return { destroyed: true, name };
  }
}
