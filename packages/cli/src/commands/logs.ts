import { durationSchema, MAX_LOG_LINES } from "@minicloud/shared";
import { Flags } from "@oclif/core";
import { appArg, validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { printNdjson } from "../lib/ndjson.ts";
import { chalk } from "../lib/output.ts";
import { UsageError } from "../lib/usage-error.ts";

interface LogLine {
  ts: string;
  instance: string;
  stream: "stdout" | "stderr";
  line: string;
}

export default class Logs extends BaseCommand {
  static override summary = "Print an app's logs (stdout and stderr of every instance, timestamped).";
  static override description = "With --json, one JSON object per line: {ts, instance, stream, line}.";
  static override examples = [
    "<%= config.bin %> logs web",
    "<%= config.bin %> logs web -f --tail 20",
    "<%= config.bin %> logs web --since 10m",
  ];
  static override args = { app: appArg };
  static override flags = {
    follow: Flags.boolean({ char: "f", description: "keep streaming new lines" }),
    tail: Flags.integer({
      char: "n",
      description: `only the last N lines of each instance (at most ${MAX_LOG_LINES}; without -n, -f or --since: the newest ${MAX_LOG_LINES})`,
      min: 0,
      max: MAX_LOG_LINES,
    }),
    since: Flags.string({ description: "only lines newer than this, e.g. 30s, 10m, 2h, 1d" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    if (flags.since && !durationSchema.safeParse(flags.since).success) {
      throw new UsageError(`--since takes a duration such as 30s, 10m, 2h or 1d, got "${flags.since}"`);
    }
    const stream = await (await this.client()).apps.logs(validAppName(args.app), {
      follow: flags.follow,
      tail: flags.tail,
      since: flags.since,
    });
    await printNdjson<LogLine>(stream, this.jsonEnabled(), (entry) => {
      const line = entry.stream === "stderr" ? chalk.red(entry.line) : entry.line;
      return `${chalk.dim(entry.ts)} ${chalk.cyan(`[${entry.instance}]`)} ${line}`;
    });
  }
}
