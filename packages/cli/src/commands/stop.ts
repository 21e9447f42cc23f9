import { appArg, validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { withSpinner } from "../lib/interaction.ts";
import { renderInstances } from "../lib/render-app.ts";

export default class Stop extends BaseCommand {
  static override summary = "Stop every instance of an app (it keeps its configuration).";
  static override examples = ["<%= config.bin %> stop web"];
  static override args = { app: appArg };

  async run() {
    const { args } = await this.parse(Stop);
    const client = await this.client();
    const app = await withSpinner(!this.jsonEnabled(), "Stopping " + args.app + "…", () =>
      client.apps.action(validAppName(args.app), "stop"),
    );
    this.say(renderInstances(app));
    return app;
  }
}
