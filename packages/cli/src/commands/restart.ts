import { appArg, validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { withSpinner } from "../lib/interaction.ts";
import { renderInstances } from "../lib/render-app.ts";

export default class Restart extends BaseCommand {
  static override summary = "Restart an app's instances one at a time.";
  static override examples = ["<%= config.bin %> restart web"];
  static override args = { app: appArg };

  async run() {
    const { args } = await this.parse(Restart);
    const client = await this.client();
    const app = await withSpinner(!this.jsonEnabled(), "Restarting " + args.app + "…", () =>
      client.apps.action(validAppName(args.app), "restart"),
    );
    this.say(renderInstances(app));
    return app;
  }
}
