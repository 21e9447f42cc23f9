import os from "node:os";
import path from "node:path";

const isRoot = () => process.getuid?.() === 0;

/** Where mcd keeps state by default; the CLI uses the same rule to find a local daemon. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MC_DATA_DIR) return path.resolve(env.MC_DATA_DIR);
  return isRoot() ? "/var/lib/minicloud" : path.join(os.homedir(), ".local/share/minicloud");
}

export function defaultSocket(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MC_SOCKET) return path.resolve(env.MC_SOCKET);
  if (isRoot()) return "/run/minicloud/mcd.sock";
  const runtimeDir = env.XDG_RUNTIME_DIR ?? path.join(os.tmpdir(), `minicloud-${process.getuid?.() ?? "user"}`);
  return path.join(runtimeDir, "minicloud/mcd.sock");
}
