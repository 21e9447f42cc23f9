import { readFile } from "node:fs/promises";

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
