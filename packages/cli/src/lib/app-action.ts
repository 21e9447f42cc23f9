import { validAppName } from "./app-args.ts";
import { BaseCommand } from "./base-command.ts";
import { withSpinner } from "./interaction.ts";
import { confirmationLine, renderInstances } from "./render-app.ts";

const PROGRESS = { start: "Starting", stop: "Stopping", restart: "Restarting" } as const;
const DONE = { start: "started", stop: "stopped", restart: "restarted" } as const;

/**
 * `mc start|stop|restart APP` differ only in the action they send. Subclasses declare `args`
 * themselves: oclif's parse spreads the command's own static properties, not inherited ones.
 */
export abstract class AppActionCommand extends BaseCommand {
  protected abstract readonly action: keyof typeof PROGRESS;

  async run() {
    const { args } = await this.parse(this.ctor);
    const name = validAppName(String(args.app));
    const client = await this.client();
    const app = await withSpinner(!this.jsonEnabled(), `${PROGRESS[this.action]} ${name}…`, () => client.apps.action(name, this.action));
    this.say(confirmationLine(app, DONE[this.action]));
    this.say(renderInstances(app));
    return app;
  }
}
