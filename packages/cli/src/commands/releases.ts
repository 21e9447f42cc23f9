import { appArg, validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { chalk, colourState, formatMemory, table } from "../lib/output.ts";
import { describeChange } from "../lib/render-app.ts";

export default class Releases extends BaseCommand {
  static override summary = "List an app's releases: every deploy, numbered, with its image and outcome.";
  static override examples = ["<%= config.bin %> releases web", "<%= config.bin %> releases web --json"];
  static override args = { app: appArg };

  async run() {
    const { args } = await this.parse(Releases);
    const releases = await (await this.client()).apps.releases(validAppName(args.app));
    this.say(
      table(
        ["RELEASE", "STATUS", "IMAGE", "COUNT", "MEMORY", "CPUS", "CREATED", "CHANGES / NOTE"],
        [...releases]
          .reverse()
          .map((r) => [
            r.status === "active" ? chalk.bold(`v${r.version}`) : `v${r.version}`,
            colourState(r.status),
            r.image,
            r.count,
            formatMemory(r.memory),
            r.cpus,
            r.createdAt.replace("T", " ").slice(0, 19),
            [r.rollbackOf ? `rollback to v${r.rollbackOf}` : "", r.reason ?? "", r.changes.map((c) => describeChange(c, false)).join(", ")]
              .filter(Boolean)
              .join("; "),
          ]),
      ),
    );
    return { releases };
  }
}
