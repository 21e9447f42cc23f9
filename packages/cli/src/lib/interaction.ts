import { UsageError } from "./usage-error.ts";

/** Prompts only for a person: a TTY on stdin and stdout, not CI, and no --yes. */
export function canPrompt(yes = false): boolean {
  return !yes && Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI;
}

/**
 * A destructive command goes ahead with --yes, or when a person typed the name asked for; without
 * a terminal to ask on, it refuses (exit 2) instead of guessing.
 */
export async function confirmByName(options: { yes: boolean; name: string; what: string }): Promise<boolean> {
  if (options.yes) return true;
  if (!canPrompt()) throw new UsageError(`${options.what}: pass --yes to confirm (there is no terminal to ask on)`);
  const { input } = await import("@inquirer/prompts");
  const typed = await input({ message: `${options.what}. Type ${options.name} to confirm:` });
  return typed.trim() === options.name;
}

/**
 * Whether a spinner can redraw itself here: a TTY that reports a width. A pty may report 0 columns
 * (under `script`, some CI runners), and ora then clears "infinitely many" wrapped lines in a
 * synchronous loop that no signal can interrupt.
 */
export function canAnimate(stream: NodeJS.WriteStream = process.stderr): boolean {
  return Boolean(stream.isTTY) && (stream.columns ?? 0) > 0 && !process.env.CI && process.env.TERM !== "dumb";
}

/**
 * A spinner on a usable TTY; silent otherwise (scripts and --json get no control characters).
 * `work` may change the spinner's text as it goes.
 */
export async function withSpinner<T>(enabled: boolean, text: string, work: (setText: (text: string) => void) => Promise<T>): Promise<T> {
  if (!enabled || !canAnimate()) return work(() => undefined);
  const { default: ora } = await import("ora");
  // discardStdin would put the terminal in raw mode, turning Ctrl-C into a byte instead of SIGINT.
  const spinner = ora({ text, stream: process.stderr, discardStdin: false }).start();
  try {
    return await work((next) => {
      spinner.text = next;
    });
  } finally {
    spinner.stop();
  }
}
