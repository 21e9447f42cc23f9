import { Args } from "@oclif/core";
import { validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { colourState, table } from "../lib/output.ts";
import { renderApp } from "../lib/render-app.ts";

export default class Status extends BaseCommand {
  static override summary = "Show an app's instances: state, health, restarts, uptime, CPU, memory and URL.";
  static override description = "Without APP, a one-line summary of every app in the tenant.";
  static override examples = ["<%= config.bin %> status web", "<%= config.bin %> status", "<%= config.bin %> status web --json"];
  static override args = { app: Args.string({ description: "app name" }) };

  async run() {
    const { args } = await this.parse(Status);
    const client = await this.client();
    if (args.app) {
      const app = await client.apps.get(validAppName(args.app));
      this.say(renderApp(app));
      return app;
    }
    const { apps } = await client.apps.list();
    this.say(
      apps.length === 0
        ? "no apps yet"
        : table(
            ["APP", "STATE", "RUNNING", "URL"],
            apps.map((a) => [
              a.name,
              colourState(a.desired),
              `${a.instances.filter((i) => i.state === "running").length}/${a.count}`,
              a.url,
            ]),
          ),
    );
    return { apps };
  }
}
