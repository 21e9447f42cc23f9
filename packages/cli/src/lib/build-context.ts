import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";

/** Never sent to the daemon, .dockerignore or not. */
const ALWAYS_IGNORED = [".git", "node_modules"];

/**
 * The current directory as a tar stream, minus `.dockerignore` entries (plain names and `dir/`
 * prefixes, the common case) and VCS/dependency folders. tar-fs streams it: nothing is buffered.
 */
export async function packContext(dir: string): Promise<Readable> {
  const ignoreFile = await readFile(path.join(dir, ".dockerignore"), "utf8").catch(() => "");
  const patterns = [
    ...ALWAYS_IGNORED,
    ...ignoreFile
      .split("\n")
      .map((line) => line.trim().replace(/^\.\//, "").replace(/\/$/, ""))
      .filter((line) => line && !line.startsWith("#") && !line.startsWith("!")),
  ];
  const { pack } = await import("tar-fs");
  return pack(dir, {
    ignore: (name) => {
      const relative = path.relative(dir, name);
      return patterns.some((pattern) => relative === pattern || relative.startsWith(`${pattern}/`));
    },
  }) as unknown as Readable;
}
