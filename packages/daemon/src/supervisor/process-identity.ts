import { readdir, readFile, readlink, realpath, rm } from "node:fs/promises";
import path from "node:path";

/** Whether a process runs (a zombie, dead but not yet reaped, does not). */
export async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // "pid (comm) S …": the state follows the last parenthesis (comm may contain any character).
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "" && state !== "Z" && state !== "X";
}

async function argvOf(pid: number): Promise<string[]> {
  const text = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return text.split("\0").slice(0, -1);
}

async function pidIn(pidFile: string): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
  return Number.isInteger(pid) && pid > 0 && (await isAlive(pid)) ? pid : undefined;
}

export interface Leftover {
  pid: number;
  /** Same binary and arguments: a candidate for adoption. */
  matches: boolean;
  mismatch?: string;
}

/**
 * The process a pid file names, when it is a `command` (by program name: a reused pid of some
 * other program is none of ours), and whether it is exactly what we would start.
 */
export async function leftoverOf(pidFile: string, command: string, args: string[]): Promise<Leftover | undefined> {
  const pid = await pidIn(pidFile);
  if (pid === undefined) return undefined;
  const argv = await argvOf(pid);
  if (!argv[0] || path.basename(argv[0]) !== path.basename(command)) return undefined;
  if (argv.join("\0") !== [command, ...args].join("\0")) return { pid, matches: false, mismatch: `other arguments (${argv.join(" ")})` };
  const [running, wanted] = await Promise.all([readlink(`/proc/${pid}/exe`).catch(() => ""), realpath(command).catch(() => command)]);
  if (running !== wanted) {
    const why = running.endsWith(" (deleted)") ? "its binary was replaced since it started (an upgrade)" : `another binary (${running})`;
    return { pid, matches: false, mismatch: why };
  }
  return { pid, matches: true };
}

/** SIGTERM, then SIGKILL after `graceMs` (at once for 0); resolves once the process is gone. */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  signal(graceMs > 0 ? "SIGTERM" : "SIGKILL");
  const killAt = Date.now() + graceMs;
  let killed = graceMs === 0;
  for (let waited = 0; (await isAlive(pid)) && waited < graceMs + 5000; waited += 20) {
    if (!killed && Date.now() >= killAt) {
      signal("SIGKILL");
      killed = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Stops every process a daemon with this data dir left running (Caddy, CoreDNS: `<data dir>/run/*.pid`
 * whose command line names the data dir), for `mc daemon stop --all`. Returns what it stopped.
 */
export async function stopLeftovers(dataDir: string, graceMs = 5000): Promise<{ name: string; pid: number }[]> {
  const runDir = path.join(dataDir, "run");
  const stopped: { name: string; pid: number }[] = [];
  for (const file of (await readdir(runDir).catch(() => [])).filter((f) => f.endsWith(".pid"))) {
    const pid = await pidIn(path.join(runDir, file));
    if (pid !== undefined && (await argvOf(pid)).some((arg) => arg.startsWith(`${dataDir}/`))) {
      await terminate(pid, graceMs);
      stopped.push({ name: path.basename(file, ".pid"), pid });
    }
    await rm(path.join(runDir, file), { force: true });
  }
  return stopped;
}
