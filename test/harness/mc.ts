import { spawn } from "node:child_process";
import { MC_BIN } from "./paths.ts";

export interface McResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `mc` binary as a user would, with no TTY and NO_COLOR set (`NO_COLOR: undefined` unsets it). */
export function mc(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: {
    timeoutMs?: number;
    cwd?: string;
    /** What stdin reads (a pipe); none when unset. */
    input?: string;
    /** Run as a program, through its `#!` line as a shell does (the launcher's sh part), not `node run.js`. */
    asProgram?: boolean;
  } = {},
): Promise<McResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.asProgram ? MC_BIN : process.execPath, options.asProgram ? args : [MC_BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env },
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk));
    child.stderr?.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.once("error", reject);
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Parses `--json` output; fails the test with the raw output when it is not JSON. */
export function json<T = Record<string, unknown>>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`expected JSON, got: ${text}`);
  }
}

/** The `{"error":{code,message}}` that `--json` prints to stderr on failure. */
export function errorOf(result: McResult): { code: string; message: string } {
  // Progress (a build's output, say) may come first; the error object is the last line.
  const last = result.stderr.trim().split("\n").at(-1) ?? "";
  return json<{ error: { code: string; message: string } }>(last).error;
}
