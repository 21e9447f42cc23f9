import { appArg, validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { withSpinner } from "../lib/interaction.ts";
import { renderInstances } from "../lib/render-app.ts";

export default class Start extends BaseCommand {
  static override summary = "Start a stopped app and wait until it is healthy.";
  static override examples = ["<%= config.bin %> start web"];
  static override args = { app: appArg };

  async run() {
    const { args } = await this.parse(Start);
    const client = await this.client();
    const app = await withSpinner(!this.jsonEnabled(), "Starting " + args.app + "…", () =>
      client.apps.action(validAppName(args.app), "start"),
    );
    this.say(renderInstances(app));
    return app;
  }
}
