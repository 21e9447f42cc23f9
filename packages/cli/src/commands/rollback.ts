import { Args } from "@oclif/core";
import { appArg, validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { withSpinner } from "../lib/interaction.ts";
import { chalk } from "../lib/output.ts";
import { UsageError } from "../lib/usage-error.ts";

export default class Rollback extends BaseCommand {
  static override summary = "Return an app to an earlier release (the previous one unless you name it).";
  static override description = "Deploys that release's image and settings again, as a new release, rolling: no downtime.";
  static override examples = ["<%= config.bin %> rollback web", "<%= config.bin %> rollback web 3"];
  static override args = { app: appArg, release: Args.string({ description: "release number (see mc releases APP)" }) };

  async run() {
    const { args } = await this.parse(Rollback);
    const name = validAppName(args.app);
    const version = args.release === undefined ? undefined : Number(args.release.replace(/^v/, ""));
    if (version !== undefined && !(Number.isInteger(version) && version >= 1)) {
      throw new UsageError(`release must be a release number such as 3 (see \`mc releases ${name}\`), got "${args.release}"`);
    }
    const client = await this.client();
    const app = await withSpinner(!this.jsonEnabled(), `Rolling ${name} back…`, () => client.apps.rollback(name, version));
    this.say(`${chalk.green("✔")} ${app.name} serves release ${app.release} (${app.image})`);
    return app;
  }
}
