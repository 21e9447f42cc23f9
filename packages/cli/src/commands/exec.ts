import { PassThrough } from "node:stream";
import { appArg, validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { resolveEndpoint } from "../lib/credentials.ts";
import { commandAfterDashes, instanceFlag, validInstance } from "../lib/exec-args.ts";
import { UsageError } from "../lib/usage-error.ts";

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export default class Exec extends BaseCommand {
  static override summary = "Run a command in an instance of an app; mc exits with the command's exit code.";
  static override description =
    "The command is an argv after `--` (no shell parses it unless you run one), run as the app's user inside its sandbox. " +
    "Its stdout and stderr go to mc's; stdin is passed through when it is not a terminal (`echo hi | mc exec web -- cat`). " +
    "--json collects {exitCode, stdout, stderr} instead. For an interactive shell, use `mc console APP`.";
  static override examples = [
    "<%= config.bin %> exec web -- ls -la /",
    "<%= config.bin %> exec web --instance 6f77684c -- cat /etc/hostname",
    "echo hi | <%= config.bin %> exec web -- cat",
    "<%= config.bin %> exec web --json -- sh -c 'echo out; echo err >&2; exit 3'",
  ];
  static override strict = false;
  static override args = { app: appArg };
  static override flags = { instance: instanceFlag };

  async run(): Promise<ExecResult> {
    const { args, flags, argv } = await this.parse(Exec);
    const app = validAppName(args.app);
    const instance = validInstance(flags.instance);
    const command = commandAfterDashes(this.argv, argv, `mc exec ${app} -- ls -la /`);
    if (command.length === 0 || command[0] === "") {
      throw new UsageError(`give the command after \`--\`, e.g. \`mc exec ${app} -- ls -la /\`; for a shell, \`mc console ${app}\``);
    }
    const json = this.jsonEnabled();
    const collected = { stdout: collect(), stderr: collect() };
    const { runExec } = await import("../lib/exec-socket.ts");
    // A terminal on stdin is a person, not input for the command: the command gets EOF at once.
    const stdin = process.stdin.isTTY ? undefined : process.stdin;
    try {
      const exitCode = await runExec(
        await resolveEndpoint(),
        app,
        { command, instance, tty: false, tenant: flags.tenant },
        { stdin, stdout: json ? collected.stdout.stream : process.stdout, stderr: json ? collected.stderr.stream : process.stderr },
      );
      if (!json && exitCode !== 0) this.exit(exitCode);
      // --json prints the result after run() returns; the exit code is still the command's.
      process.exitCode = exitCode;
      return { exitCode, stdout: collected.stdout.text(), stderr: collected.stderr.text() };
    } finally {
      // Input the command did not read must not keep mc waiting.
      stdin?.destroy();
    }
  }
}

function collect() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}
