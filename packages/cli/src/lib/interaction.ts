/** Prompts only for a person: a TTY on stdin and stdout, not CI, and no --yes. */
export function canPrompt(yes = false): boolean {
  return !yes && Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI;
}

/** A spinner on a TTY; silent otherwise (scripts and --json get no control characters). */
export async function withSpinner<T>(enabled: boolean, text: string, work: () => Promise<T>): Promise<T> {
  if (!enabled || !process.stderr.isTTY) return work();
  const { default: ora } = await import("ora");
  const spinner = ora({ text, stream: process.stderr }).start();
  try {
    const result = await work();
    spinner.stop();
    return result;
  } catch (error) {
    spinner.stop();
    throw error;
  }
}
