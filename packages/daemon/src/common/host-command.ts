import { spawn } from "node:child_process";

/**
 * Runs a host program (mount, mkfs.ext4, iptables, …), optionally feeding `input` on stdin, and
 * resolves to its stdout; a failure throws with what it printed. Both streams are kept: some tools
 * (resize2fs) print the reason on stdout and only a banner on stderr.
 */
export function runHostCommand(program: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk));
    child.stderr?.on("data", (chunk) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) return resolve(stdout);
      const printed = `${stderr}\n${stdout}`
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean);
      reject(new Error(`${program} ${args.join(" ")}: ${printed.length ? printed.join("; ") : `exited with ${code}`}`));
    });
    // A program that exits before reading its input fails by its exit code, not by EPIPE here.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input);
  });
}
