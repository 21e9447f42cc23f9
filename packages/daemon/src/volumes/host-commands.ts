import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** Runs a host program (mount, mkfs.ext4, …) and throws with what it printed on failure. */
export async function run(program: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await exec(program, args, { encoding: "utf8", maxBuffer: 1024 * 1024 });
    return stdout;
  } catch (error) {
    // Some tools (resize2fs) print the reason on stdout and only a banner on stderr.
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    const printed = `${stderr}\n${stdout}`
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    throw new Error(`${program} ${args.join(" ")}: ${printed.length ? printed.join("; ") : (error as Error).message}`);
  }
}

/** Whether `dir` is a mount point right now (from the kernel's own table). */
export async function isMountPoint(dir: string): Promise<boolean> {
  const table = await readFile("/proc/self/mounts", "utf8");
  const escaped = dir.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
  return table.split("\n").some((line) => line.split(" ")[1] === escaped);
}

/** Mount points at or below `dir`, deepest first (so they can be unmounted in order). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile("/proc/self/mounts", "utf8");
  return table
    .split("\n")
    .map((line) => (line.split(" ")[1] ?? "").replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))))
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}
