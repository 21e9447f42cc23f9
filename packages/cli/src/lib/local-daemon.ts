import { spawn } from "node:child_process";
import { mkdir, open, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { isAlive } from "@minicloud/daemon/supervisor";
import { MinicloudClient } from "@minicloud/shared/client";
import { defaultDataDir, defaultSocket } from "@minicloud/shared/paths";

export interface LocalDaemonPaths {
  dataDir: string;
  socket: string;
  logFile: string;
  pidFile: string;
}

export function localDaemonPaths(env: NodeJS.ProcessEnv = process.env): LocalDaemonPaths {
  const dataDir = defaultDataDir(env);
  return { dataDir, socket: defaultSocket(env), logFile: path.join(dataDir, "mcd.log"), pidFile: path.join(dataDir, "mcd.pid") };
}

/** mcd's pid while it runs (an exited one that is not reaped yet does not count). */
export async function readPid(paths: LocalDaemonPaths): Promise<number | undefined> {
  const pid = Number((await readFile(paths.pidFile, "utf8").catch(() => "")).trim());
  return Number.isInteger(pid) && pid > 0 && (await isAlive(pid)) ? pid : undefined;
}

/** Asks the daemon on the local socket; undefined when nothing (or a daemon too old to know the question) answers. */
async function askLocal<T>(paths: LocalDaemonPaths, ask: (client: MinicloudClient) => Promise<T>): Promise<T | undefined> {
  const client = new MinicloudClient({ host: `unix://${paths.socket}` });
  try {
    return await ask(client);
  } catch {
    return undefined;
  } finally {
    await client.close();
  }
}

export function localHealth(paths: LocalDaemonPaths) {
  return askLocal(paths, (client) => client.health());
}

/** The daemon's effective settings and their sources (the socket is admin). */
export function localSettings(paths: LocalDaemonPaths) {
  return askLocal(paths, (client) => client.daemonSettings());
}

/** SIGTERMs mcd and waits until it exited; the pid it stopped, or undefined when none was running. */
export async function stopDaemon(paths: LocalDaemonPaths, timeoutMs = 15_000): Promise<number | undefined> {
  const pid = await readPid(paths);
  if (!pid) return undefined;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid))) return pid;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`mcd (pid ${pid}) did not stop within ${timeoutMs / 1000}s — kill it with \`kill -9 ${pid}\``);
}

/** The installed mcd's entry script (what `mc daemon start` runs, and a systemd unit's ExecStart). */
export function mcdEntry(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("@minicloud/daemon/package.json")), "bin", "mcd.js");
}

/** Starts mcd detached, its output appended to the data dir's mcd.log; resolves once it answers. */
export async function spawnDaemon(paths: LocalDaemonPaths, timeoutMs = 20_000): Promise<{ pid: number }> {
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  const log = await open(paths.logFile, "a", 0o600);
  const logStart = (await log.stat()).size;
  const child = spawn(process.execPath, [mcdEntry()], { detached: true, stdio: ["ignore", log.fd, log.fd], env: process.env });
  let exited: number | null = null;
  child.once("exit", (code) => {
    exited = code ?? 1;
  });
  child.unref();
  await log.close();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) {
      const output = (await readFile(paths.logFile, "utf8")).slice(logStart).trim();
      const lastLine =
        output
          .split("\n")
          .filter((l) => l.startsWith("mcd:"))
          .pop() ??
        output.split("\n").pop() ??
        "";
      throw new Error(`mcd exited at start (code ${exited}): ${lastLine.replace(/^mcd: /, "")}`);
    }
    if (await localHealth(paths)) return { pid: child.pid ?? 0 };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`mcd did not answer on ${paths.socket} within ${timeoutMs / 1000}s — see ${paths.logFile}`);
}
