import { appArg, validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { resolveEndpoint } from "../lib/credentials.ts";
import { commandAfterDashes, instanceFlag, validInstance } from "../lib/exec-args.ts";
import { UsageError } from "../lib/usage-error.ts";

export default class Console extends BaseCommand {
  static override summary = "Open an interactive shell in an instance of an app.";
  static override description =
    "Runs /bin/sh (or the argv after `--`) with a terminal, as the app's user inside its sandbox. The local terminal is in raw " +
    "mode until the shell exits (Ctrl-C and Ctrl-D go to the shell); mc exits with the shell's exit code. Needs a terminal: " +
    "in scripts use `mc exec APP -- CMD`.";
  static override examples = [
    "<%= config.bin %> console web",
    "<%= config.bin %> console web --instance 6f77684c",
    "<%= config.bin %> console web -- /bin/bash -l",
  ];
  static override strict = false;
  static override args = { app: appArg };
  static override flags = { instance: instanceFlag };

  async run(): Promise<void> {
    const { args, flags, argv } = await this.parse(Console);
    if (this.jsonEnabled()) throw new UsageError("mc console is interactive and has no --json: use `mc exec APP --json -- CMD`");
    const app = validAppName(args.app);
    const instance = validInstance(flags.instance);
    const given = commandAfterDashes(this.argv, argv, `mc console ${app} -- /bin/sh`);
    if (!process.stdin.isTTY) throw new UsageError(`mc console needs a terminal on stdin: in scripts use \`mc exec ${app} -- CMD\``);
    const { runExec } = await import("../lib/exec-socket.ts");
    const endpoint = await resolveEndpoint();
    const size = terminalSize();
    const terminal = rawTerminal();
    let onResize: (() => void) | undefined;
    let exitCode: number;
    try {
      exitCode = await runExec(
        endpoint,
        app,
        // No command: the daemon runs its default shell, /bin/sh.
        { command: given, instance, tty: true, ...size, tenant: flags.tenant },
        { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
        (control) => {
          // SIGWINCH: Node reports it as 'resize' on a TTY stdout.
          onResize = () => {
            const now = terminalSize();
            if (now.cols && now.rows) control.resize(now.cols, now.rows);
          };
          process.stdout.on("resize", onResize);
        },
      );
    } finally {
      if (onResize) process.stdout.off("resize", onResize);
      terminal.restore();
      process.stdin.destroy();
    }
    if (exitCode !== 0) this.exit(exitCode);
  }
}

/** The local terminal's size; a pty may report 0 (under `script`), which the daemon must not get. */
function terminalSize(): { cols?: number; rows?: number } {
  const { columns, rows } = process.stdout;
  return process.stdout.isTTY && columns > 0 && rows > 0 ? { cols: columns, rows } : {};
}

/** Raw mode until restore(), which also runs on any exit (a signal, an error) so the terminal is never left raw. */
function rawTerminal(): { restore(): void } {
  const stdin = process.stdin;
  const restore = () => {
    if (stdin.isTTY && stdin.isRaw) stdin.setRawMode(false);
  };
  stdin.setRawMode(true);
  process.once("exit", restore);
  return {
    restore() {
      restore();
      process.off("exit", restore);
    },
  };
}
