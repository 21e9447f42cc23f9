import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import type { Logger } from "pino";
import { isAlive, leftoverOf, terminate } from "./process-identity.ts";

/** The end of a child's log, for an error message that says why it stopped. */
async function lastLines(file: string, count = 3): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.trim().split("\n").slice(-count).join(" | ");
}

export interface ProcessSpec {
  /** Short name for logs and status ("caddy"). */
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Where the child's stdout and stderr go (appended). */
  logFile: string;
  /** Lets the next daemon find (and adopt) a child that outlived the daemon that started it. */
  pidFile: string;
  /** True once the process serves. Polled after each start, and asked before adopting a leftover. */
  isReady: () => Promise<boolean>;
  /** Runs after each (re)start once ready: push the current configuration. */
  onReady: () => Promise<void>;
  /**
   * Runs instead of onReady when a process left running by an earlier daemon is adopted: it
   * already serves a configuration, which must not be disturbed (no empty config pushed first).
   */
  onAdopt?: () => Promise<void>;
  readyTimeoutMs?: number;
}

export interface ProcessStatus {
  name: string;
  state: "starting" | "running" | "backoff" | "stopped";
  pid: number | null;
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  /** Taken over from an earlier daemon rather than started by this one. */
  adopted: boolean;
}

/** The process could not be started or never became ready; the message names its log file. */
export class ProcessStartError extends Error {}

const INITIAL_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;
/** A run this long resets the backoff: the process was healthy, the next crash is news. */
const STABLE_RUN_MS = 30_000;
const READY_POLL_MS = 50;
/** A leftover must answer within this to be adopted (it may be in the middle of a reload). */
const ADOPT_READY_MS = 2000;
/** An adopted process is not our child (no exit event): how often we look whether it still runs. */
const ADOPTED_POLL_MS = 250;

/**
 * Runs one external process (Caddy, CoreDNS) for the daemon: waits until it is ready, restarts it
 * with exponential backoff whenever it dies. The process runs in its own session, so it outlives
 * the daemon: a stop or crash of mcd leaves it serving, and the next daemon adopts it (same
 * binary and arguments, healthy) instead of replacing it, so app URLs never go down with mcd.
 */
export class SupervisedProcess {
  private readonly spec: ProcessSpec;
  private readonly logger: Logger;
  private child: ChildProcess | undefined;
  private adoptedPid: number | undefined;
  private state: ProcessStatus["state"] = "stopped";
  private restarts = 0;
  private backoffMs = INITIAL_BACKOFF_MS;
  private lastExit: ProcessStatus["lastExit"] = null;
  private stopping = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;

  constructor(spec: ProcessSpec, logger: Logger) {
    this.spec = spec;
    this.logger = logger.child({ component: spec.name });
  }

  /**
   * First start: adopts a healthy leftover of an earlier daemon, else starts the process (after
   * ending a leftover that does not fit). Resolves when it serves; throws when it cannot start.
   */
  async start(): Promise<"adopted" | "started"> {
    // Started again after a stop (the registry restarts to change its configuration): supervise again.
    this.stopping = false;
    const leftover = await leftoverOf(this.spec.pidFile, this.spec.command, this.spec.args);
    if (leftover?.matches && (await this.adopt(leftover.pid))) return "adopted";
    if (leftover) {
      this.logger.info(
        { pid: leftover.pid, reason: leftover.matches ? "not healthy" : leftover.mismatch },
        `replacing a ${this.spec.name} left over from an earlier daemon`,
      );
      await terminate(leftover.pid, 0);
    }
    try {
      await this.launch();
    } catch (error) {
      await this.stop();
      throw error;
    }
    return "started";
  }

  status(): ProcessStatus {
    return {
      name: this.spec.name,
      state: this.state,
      pid: this.currentPid() ?? null,
      restarts: this.restarts,
      lastExit: this.lastExit,
      adopted: this.adoptedPid !== undefined,
    };
  }

  get pid(): number | undefined {
    return this.state === "running" ? this.currentPid() : undefined;
  }

  /** Stops supervising and leaves the process serving (with its pid file) for the next daemon. */
  detach(): void {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.watchTimer);
    this.child?.unref();
    this.state = "stopped";
  }

  /** Ends the process (SIGTERM, then SIGKILL after 5 s) and removes its pid file. */
  async stop(): Promise<void> {
    this.detach();
    const pid = this.currentPid();
    if (pid !== undefined) await terminate(pid, 5000);
    await rm(this.spec.pidFile, { force: true });
  }

  /** After a failed daemon start: what this daemon started is stopped, what it adopted keeps serving. */
  async release(): Promise<void> {
    if (this.adoptedPid !== undefined) this.detach();
    else await this.stop();
  }

  private currentPid(): number | undefined {
    if (this.adoptedPid !== undefined) return this.adoptedPid;
    const child = this.child;
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  private async adopt(pid: number): Promise<boolean> {
    this.state = "starting";
    const deadline = Date.now() + ADOPT_READY_MS;
    while (!(await this.spec.isReady())) {
      if (Date.now() > deadline || !(await isAlive(pid))) return false;
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
    try {
      await (this.spec.onAdopt ?? this.spec.onReady)();
    } catch (error) {
      this.logger.warn({ err: error, pid }, `could not take over the running ${this.spec.name}`);
      return false;
    }
    this.adoptedPid = pid;
    this.state = "running";
    this.watch(pid, Date.now());
    this.logger.info({ pid }, `adopted the running ${this.spec.name}`);
    return true;
  }

  /** Notices the death of a process that is not our child. */
  private watch(pid: number, since: number): void {
    this.watchTimer = setInterval(async () => {
      if (this.adoptedPid !== pid || (await isAlive(pid))) return;
      clearInterval(this.watchTimer);
      this.adoptedPid = undefined;
      // Not our child: its exit code and signal are not ours to know.
      this.exited(null, null, since);
    }, ADOPTED_POLL_MS);
    this.watchTimer.unref();
  }

  private async launch(): Promise<void> {
    const { spec } = this;
    this.state = "starting";
    const out = openSync(spec.logFile, "a");
    let child: ChildProcess;
    try {
      // A session of its own: signals to the daemon's process group (a terminal's Ctrl-C, a
      // service manager stopping mcd) do not reach it, and it survives the daemon.
      child = spawn(spec.command, spec.args, { env: spec.env, stdio: ["ignore", out, out], detached: true });
    } finally {
      closeSync(out);
    }
    this.child = child;
    const startedAt = Date.now();
    const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
    child.once("exit", (code, signal) => {
      if (child === this.child) this.exited(code, signal, startedAt);
    });
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

  private exited(code: number | null, signal: NodeJS.Signals | null, startedAt: number): void {
    if (this.stopping) return;
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
      if (child.pid === undefined) this.exited(null, null, Date.now());
      else if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  }
}
