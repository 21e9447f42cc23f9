import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";

/** The end of a child's log, for an error message that says why it stopped. */
async function lastLines(file: string, count = 3): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.trim().split("\n").slice(-count).join(" | ");
}

import type { Logger } from "pino";

export interface ProcessSpec {
  /** Short name for logs and status ("caddy"). */
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Where the child's stdout and stderr go (appended). */
  logFile: string;
  /** Lets the next daemon find a child that outlived a crashed daemon. */
  pidFile: string;
  /** True once the process serves. Polled after each start. */
  isReady: () => Promise<boolean>;
  /** Runs after each (re)start once ready: push the current configuration. */
  onReady: () => Promise<void>;
  readyTimeoutMs?: number;
}

export interface ProcessStatus {
  name: string;
  state: "starting" | "running" | "backoff" | "stopped";
  pid: number | null;
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
}

/** The process could not be started or never became ready; the message names its log file. */
export class ProcessStartError extends Error {}

const INITIAL_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;
/** A run this long resets the backoff: the process was healthy, the next crash is news. */
const STABLE_RUN_MS = 30_000;
const READY_POLL_MS = 50;

/**
 * Runs one external process (Caddy, CoreDNS) for the daemon: waits until it is ready, restarts it
 * with exponential backoff whenever it dies, and stops it on shutdown.
 */
export class SupervisedProcess {
  private readonly spec: ProcessSpec;
  private readonly logger: Logger;
  private child: ChildProcess | undefined;
  private state: ProcessStatus["state"] = "stopped";
  private restarts = 0;
  private backoffMs = INITIAL_BACKOFF_MS;
  private lastExit: ProcessStatus["lastExit"] = null;
  private stopping = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(spec: ProcessSpec, logger: Logger) {
    this.spec = spec;
    this.logger = logger.child({ component: spec.name });
  }

  /** First start: resolves when ready, throws when the process cannot start or never gets ready. */
  async start(): Promise<void> {
    await this.killLeftover();
    try {
      await this.launch();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  status(): ProcessStatus {
    return {
      name: this.spec.name,
      state: this.state,
      pid: this.child?.pid ?? null,
      restarts: this.restarts,
      lastExit: this.lastExit,
    };
  }

  get pid(): number | undefined {
    return this.state === "running" ? this.child?.pid : undefined;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    const child = this.child;
    this.state = "stopped";
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.spec.pidFile, { force: true });
  }

  private async launch(): Promise<void> {
    const { spec } = this;
    this.state = "starting";
    const out = openSync(spec.logFile, "a");
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, { env: spec.env, stdio: ["ignore", out, out] });
    } finally {
      closeSync(out);
    }
    this.child = child;
    const startedAt = Date.now();
    const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
    child.once("exit", (code, signal) => this.onExit(child, code, signal, startedAt));
    if (child.pid) await writeFile(spec.pidFile, `${child.pid}\n`);

    const deadline = Date.now() + (spec.readyTimeoutMs ?? 10_000);
    while (true) {
      const failed = await Promise.race([spawnError, new Promise((resolve) => setTimeout(resolve, READY_POLL_MS, undefined))]);
      if (failed instanceof Error) throw new ProcessStartError(`${spec.name} could not be started (${failed.message})`);
      if (child.exitCode !== null || child.signalCode !== null) {
        const said = await lastLines(spec.logFile);
        throw new ProcessStartError(
          `${spec.name} exited right after it started (code ${child.exitCode ?? child.signalCode})${said ? `: ${said}` : ""} — see ${spec.logFile}`,
        );
      }
      if (await spec.isReady()) break;
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new ProcessStartError(`${spec.name} did not become ready — see ${spec.logFile}`);
      }
    }
    try {
      await spec.onReady();
    } catch (error) {
      child.kill("SIGKILL");
      throw new ProcessStartError(`${spec.name}: ${(error as Error).message}`);
    }
    this.state = "running";
    this.logger.info({ pid: child.pid }, `${spec.name} ready`);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, startedAt: number): void {
    if (child !== this.child || this.stopping) return;
    this.lastExit = { code, signal, at: new Date().toISOString() };
    if (Date.now() - startedAt > STABLE_RUN_MS) this.backoffMs = INITIAL_BACKOFF_MS;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.state = "backoff";
    this.logger.warn({ code, signal, restartInMs: delay }, `${this.spec.name} exited; restarting`);
    this.retryTimer = setTimeout(() => void this.relaunch(), delay);
  }

  private async relaunch(): Promise<void> {
    if (this.stopping) return;
    this.restarts++;
    try {
      await this.launch();
    } catch (error) {
      this.logger.error({ err: error }, `${this.spec.name} restart failed`);
      const child = this.child;
      if (!child) return;
      // A child that never spawned gets no exit event: schedule the next try here. A running one that
      // failed its readiness is killed, and its exit handler schedules the next try.
      if (child.pid === undefined) this.onExit(child, null, null, Date.now());
      else if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  }

  /** A child of a daemon that was killed keeps its ports: stop it before starting ours. */
  private async killLeftover(): Promise<void> {
    const pid = Number((await readFile(this.spec.pidFile, "utf8").catch(() => "")).trim());
    if (!Number.isInteger(pid) || pid <= 0) return;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (!cmdline.split("\0")[0]?.endsWith(this.spec.command.split("/").pop() ?? this.spec.command)) return;
    this.logger.info({ pid }, `stopping a ${this.spec.name} left over from an earlier daemon`);
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 100 && (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")) !== ""; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
