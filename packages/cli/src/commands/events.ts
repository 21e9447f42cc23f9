import type { PlatformEvent } from "@minicloud/shared";
import { Flags } from "@oclif/core";
import { validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { printNdjson } from "../lib/ndjson.ts";
import { chalk } from "../lib/output.ts";

const SEVERE = new Set([
  "deploy.failed",
  "deploy.rolled_back",
  "instance.crashed",
  "instance.start_failed",
  "instance.unhealthy",
  "instance.disk_exceeded",
  "app.crash_looping",
  "quota.rejected",
]);

function render(event: PlatformEvent): string {
  const where = [event.tenant, event.app].filter(Boolean).join("/");
  const type = SEVERE.has(event.type) ? chalk.red(event.type) : chalk.green(event.type);
  return `${chalk.dim(event.time)} ${type.padEnd(28)} ${chalk.cyan(where)} ${event.message}`;
}

export default class Events extends BaseCommand {
  static override summary = "Show what happened: deploys, crashes, restarts, health changes, scaling, quota rejections.";
  static override description = "With --json, one JSON object per line. An admin sees every tenant unless --tenant is given.";
  static override examples = [
    "<%= config.bin %> events",
    "<%= config.bin %> events -f --app web",
    "<%= config.bin %> events --json -n 500",
  ];
  static override flags = {
    follow: Flags.boolean({ char: "f", description: "keep streaming new events" }),
    app: Flags.string({ description: "only this app's events" }),
    limit: Flags.integer({ char: "n", description: "how many past events to show", default: 50, min: 1, max: 10_000 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Events);
    const app = flags.app === undefined ? undefined : validAppName(flags.app);
    const client = await this.client();
    if (flags.follow) {
      await printNdjson<PlatformEvent>(await client.apps.followEvents({ app, limit: flags.limit }), this.jsonEnabled(), render);
      return;
    }
    const events = await client.apps.events({ app, limit: flags.limit });
    for (const event of events) process.stdout.write(`${this.jsonEnabled() ? JSON.stringify(event) : render(event)}\n`);
  }
}
