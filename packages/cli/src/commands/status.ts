import type { App } from "@minicloud/shared";
import { Args, Flags } from "@oclif/core";
import { validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { colourState, table } from "../lib/output.ts";
import { renderApp } from "../lib/render-app.ts";

export default class Status extends BaseCommand {
  static override summary = "Show an app's instances: state, health, restarts, uptime, CPU, memory and URL.";
  static override description =
    "Without APP, a one-line summary of every app in the tenant. With --watch, the view is redrawn every --interval seconds until Ctrl-C (with --json: one JSON document per line).";
  static override examples = [
    "<%= config.bin %> status web",
    "<%= config.bin %> status",
    "<%= config.bin %> status web --watch",
    "<%= config.bin %> status web --json",
  ];
  static override args = { app: Args.string({ description: "app name" }) };
  static override flags = {
    watch: Flags.boolean({ char: "w", description: "keep redrawing until Ctrl-C" }),
    interval: Flags.integer({ description: "seconds between redraws with --watch", default: 2, min: 1, max: 3600 }),
  };

  async run() {
    const { args, flags } = await this.parse(Status);
    const name = args.app === undefined ? undefined : validAppName(args.app);
    if (!flags.watch) {
      const { text, value } = await this.snapshot(name);
      this.say(text);
      return value;
    }
    const redraw = Boolean(process.stdout.isTTY) && !this.jsonEnabled();
    while (true) {
      const { text, value } = await this.snapshot(name);
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(value)}\n`);
      else process.stdout.write(redraw ? `\u001b[H\u001b[2J${text}\n\n(every ${flags.interval}s — Ctrl-C to stop)\n` : `${text}\n\n`);
      await new Promise((resolve) => setTimeout(resolve, flags.interval * 1000));
    }
  }

  private async snapshot(name: string | undefined): Promise<{ text: string; value: App | { apps: App[] } }> {
    const client = await this.client();
    if (name) {
      const app = await client.apps.get(name);
      return { text: renderApp(app), value: app };
    }
    const { apps } = await client.apps.list();
    const text =
      apps.length === 0
        ? "no apps yet"
        : table(
            ["APP", "STATE", "RUNNING", "URL"],
            apps.map((a) => [
              a.name,
              colourState(a.desired),
              `${a.instances.filter((i) => i.state === "running").length}/${a.count}`,
              a.url ?? (a.protocol === "tcp" ? a.internalAddress : null),
            ]),
          );
    return { text, value: { apps } };
  }
}
