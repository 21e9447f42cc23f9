import { type LogLine, logSinceSchema, MAX_LOG_LINES } from "@minicloud/shared";
import { Flags } from "@oclif/core";
import { appArg, validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { printNdjson } from "../lib/ndjson.ts";
import { chalk } from "../lib/output.ts";
import { UsageError } from "../lib/usage-error.ts";

export default class Logs extends BaseCommand {
  static override summary = "Print an app's logs (stdout and stderr of every instance, timestamped).";
  static override description =
    "Logs are kept by the daemon: lines of replaced, crashed and removed instances stay readable after a redeploy, " +
    "up to the daemon's per-tenant cap (oldest go first). With --json, one JSON object per line: {ts, instance, stream, line, release}.";
  static override examples = [
    "<%= config.bin %> logs web",
    "<%= config.bin %> logs web -f --tail 20",
    "<%= config.bin %> logs web --since 10m",
    "<%= config.bin %> logs web --since 2d --grep 'timeout|refused'",
    "<%= config.bin %> logs web --release 3 --instance 1a2b3c4d",
  ];
  static override args = { app: appArg };
  static override flags = {
    follow: Flags.boolean({ char: "f", description: "keep streaming new lines (instances of a new release join)" }),
    tail: Flags.integer({
      char: "n",
      description: `only the last N lines of each instance (at most ${MAX_LOG_LINES}; without -n, -f, --since or --grep: the newest ${MAX_LOG_LINES})`,
      min: 0,
      max: MAX_LOG_LINES,
    }),
    since: Flags.string({ description: "only lines newer than this, e.g. 30s, 10m, 2h, 2d" }),
    grep: Flags.string({ description: "only lines matching this regular expression (RE2 syntax, linear time)" }),
    instance: Flags.string({ description: "only this instance's lines (an id from `mc status`)" }),
    release: Flags.integer({ description: "only lines of instances that ran this release", min: 1 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    if (flags.since !== undefined) {
      const since = logSinceSchema.safeParse(flags.since);
      if (!since.success) {
        throw new UsageError(
          `--since takes a duration such as 30s, 10m, 2h or 2d (${since.error.issues[0]?.message}), got "${flags.since}"`,
        );
      }
    }
    if (flags.grep !== undefined) await checkGrep(flags.grep);
    if (flags.instance !== undefined && !/^[a-z0-9]{1,64}$/.test(flags.instance)) {
      throw new UsageError(`--instance takes an instance id as \`mc status\` shows it, got "${flags.instance}"`);
    }
    const stream = await (await this.client()).apps.logs(validAppName(args.app), {
      follow: flags.follow,
      tail: flags.tail,
      since: flags.since,
      grep: flags.grep,
      instance: flags.instance,
      release: flags.release,
    });
    await printNdjson<LogLine>(stream, this.jsonEnabled(), (entry) => {
      const line = entry.stream === "stderr" ? chalk.red(entry.line) : entry.line;
      return `${chalk.dim(entry.ts)} ${chalk.cyan(`[${entry.instance}]`)} ${line}`;
    });
  }
}

/** The daemon searches with RE2: a pattern it would refuse is refused here, before any request. */
async function checkGrep(pattern: string): Promise<void> {
  if (pattern === "" || pattern.length > 1000) throw new UsageError("--grep takes a regular expression of 1 to 1000 characters");
  const { RE2JS } = await import("re2js");
  try {
    RE2JS.compile(pattern);
  } catch (error) {
    throw new UsageError(
      `--grep is not a valid regular expression (RE2 syntax: no backreferences or lookaround): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
