import type { Readable } from "node:stream";
import { formatBytes, type PlatformEvent } from "@minicloud/shared";
import type { Logger } from "pino";
import { timeKey } from "../apps/log-follow.ts";
import type { LogLine, Runtime, RuntimeEvent, RuntimeInstance } from "../runtime/runtime.ts";
import type { StoredLine } from "./line-format.ts";
import type { LogStore } from "./log-store.ts";

/** The instance column of the platform's own lines. */
export const PLATFORM = "minicloud";
/** How often running instances without a follower are looked for (a safety net for missed engine events). */
const RESCAN_MS = 5000;

export interface LogCollectorDeps {
  runtime: Runtime;
  store: LogStore;
  /** The release an instance runs (its record's, or the deploy in flight's), 0 when unknown. */
  releaseOf: (tenant: string, app: string, instance: string) => number;
  /** Bytes of lines one instance may write per second of its own time; past it, lines are dropped and counted. */
  bytesPerSecond: number;
  logger: Logger;
}

interface Follower {
  tenant: string;
  app: string;
  instance: string;
  containerId: string;
  /** Time key of the newest line taken; older ones (a re-read after a restart) are skipped. */
  lastKey: string;
  stream: Readable | undefined;
  /** Bytes taken in the second `second` (the first 19 characters of the time key), and lines dropped. */
  second: string;
  bytes: number;
  dropped: number;
  droppedTs: string;
}

/**
 * Collects every instance's output into the LogStore: one follower per container, started when the
 * engine starts it and resumed by time after a daemon restart (from the newest stored line), so a
 * `kill -9` of mcd loses nothing the engine still holds. A container writing faster than its rate
 * has the excess dropped and counted in a visible line; a slow disk pauses the engine's stream.
 */
export class LogCollector {
  private readonly deps: LogCollectorDeps;
  private readonly followers = new Map<string, Follower>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(deps: LogCollectorDeps) {
    this.deps = deps;
  }

  /** Picks up every container of ours, running or not: those that stopped while no daemon ran have lines to collect. */
  async start(): Promise<void> {
    for (const instance of await this.deps.runtime.listInstances()) void this.attach(instance);
    this.timer = setInterval(() => void this.rescan(), RESCAN_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const follower of this.followers.values()) follower.stream?.destroy();
  }

  /** The engine's container events (through the healer's watch): a started container gets a follower. */
  onEngineEvent(event: RuntimeEvent): void {
    if (event.action === "start") void this.attach(event);
    // Its last lines are still arriving on its stream: the follower goes a little later.
    if (event.action === "destroy") setTimeout(() => this.followers.delete(event.containerId), RESCAN_MS).unref();
  }

  /** The platform's own lines about an app (why an instance died) are kept with its logs. */
  onPlatformEvent(event: PlatformEvent): void {
    if (!event.app || !PLATFORM_LOG_EVENTS.has(event.type)) return;
    this.deps.store.append(event.tenant, event.app, {
      ts: event.time,
      instance: PLATFORM,
      stream: "stderr",
      line: event.message,
      release: event.release ?? 0,
    });
  }

  /**
   * Takes everything the engine holds for the app's containers that the followers have not yet
   * delivered, and writes it: a read right after an app wrote sees its lines.
   */
  async sync(tenant: string, app: string): Promise<void> {
    const instances = await this.deps.runtime.listInstances({ tenant, app });
    await Promise.all(
      instances.map(async (instance) => {
        const follower = await this.followerOf(instance);
        const stream = await this.deps.runtime.logs(instance.containerId, instance.instanceId, {
          follow: false,
          sinceSeconds: sinceOf(follower.lastKey),
        });
        for await (const line of stream as AsyncIterable<LogLine>) {
          if (!this.take(follower, line)) await this.deps.store.whenDrained(tenant, app);
        }
        this.flushDropped(follower);
      }),
    );
    await this.deps.store.flush(tenant, app);
  }

  private async rescan(): Promise<void> {
    try {
      for (const instance of await this.deps.runtime.listInstances()) {
        if (instance.state === "running" && !this.followers.get(instance.containerId)?.stream) void this.attach(instance);
      }
      // A flood that stopped: its count is written once its last second is over.
      const over = new Date(Date.now() - 2000).toISOString().slice(0, 19);
      for (const follower of this.followers.values()) if (follower.second < over) this.flushDropped(follower);
    } catch (error) {
      this.deps.logger.warn({ err: error }, "could not list instances for log collection");
    }
  }

  private async followerOf(instance: Pick<RuntimeInstance, "containerId" | "instanceId" | "tenant" | "app">): Promise<Follower> {
    let follower = this.followers.get(instance.containerId);
    if (!follower) {
      const lastKey = await this.deps.store.cursor(instance.tenant, instance.app, instance.instanceId);
      follower = this.followers.get(instance.containerId) ?? {
        tenant: instance.tenant,
        app: instance.app,
        instance: instance.instanceId,
        containerId: instance.containerId,
        lastKey,
        stream: undefined,
        second: "",
        bytes: 0,
        dropped: 0,
        droppedTs: "",
      };
      this.followers.set(instance.containerId, follower);
    }
    return follower;
  }

  private async attach(instance: Pick<RuntimeInstance, "containerId" | "instanceId" | "tenant" | "app">): Promise<void> {
    if (this.stopped) return;
    const follower = await this.followerOf(instance);
    if (follower.stream) return;
    let stream: Readable;
    try {
      // A placeholder so a second attach meanwhile does not open another stream.
      follower.stream = stream = await this.deps.runtime.logs(instance.containerId, instance.instanceId, {
        follow: true,
        sinceSeconds: sinceOf(follower.lastKey),
      });
    } catch (error) {
      follower.stream = undefined;
      this.deps.logger.debug({ err: error, container: instance.containerId }, "could not follow an instance's logs");
      return;
    }
    if (this.stopped) return void stream.destroy();
    stream.on("data", (line: LogLine) => {
      if (this.take(follower, line)) return;
      stream.pause();
      void this.deps.store.whenDrained(follower.tenant, follower.app).then(() => stream.resume());
    });
    const detach = () => {
      if (follower.stream !== stream) return;
      follower.stream = undefined;
      this.flushDropped(follower);
    };
    stream.once("end", detach);
    stream.once("error", detach);
    stream.once("close", detach);
  }

  /** One line from the engine: skipped when already taken, dropped past the rate. False: the store is full, pause. */
  private take(follower: Follower, line: LogLine): boolean {
    const key = timeKey(line.ts);
    if (key <= follower.lastKey) return true;
    follower.lastKey = key;
    const second = key.slice(0, 19);
    if (second !== follower.second) {
      this.flushDropped(follower);
      follower.second = second;
      follower.bytes = 0;
    }
    follower.bytes += line.line.length + 1;
    if (follower.bytes > this.deps.bytesPerSecond) {
      follower.dropped++;
      follower.droppedTs = line.ts;
      return true;
    }
    return this.deps.store.append(follower.tenant, follower.app, { ...line, release: this.releaseOf(follower) });
  }

  /** The line that stands for the lines dropped in the last second, once that second is over. */
  private flushDropped(follower: Follower): void {
    if (follower.dropped === 0) return;
    const marker: StoredLine = {
      ts: follower.droppedTs,
      instance: follower.instance,
      stream: "stderr",
      line: `[minicloud] … ${follower.dropped} lines dropped: instance ${follower.instance} wrote more than ${formatBytes(this.deps.bytesPerSecond)} of logs in one second (MC_LOG_RATE)`,
      release: this.releaseOf(follower),
    };
    follower.dropped = 0;
    this.deps.store.append(follower.tenant, follower.app, marker);
  }

  private releaseOf(follower: Follower): number {
    return this.deps.releaseOf(follower.tenant, follower.app, follower.instance);
  }
}

/** Events that say why an instance stopped: they appear in `mc logs` too, where people look first. */
export const PLATFORM_LOG_EVENTS = new Set<PlatformEvent["type"]>(["instance.crashed", "app.crash_looping"]);

/** The engine's `since` is in whole seconds: the lines of that second already taken are skipped by key. */
function sinceOf(lastKey: string): number | undefined {
  if (!lastKey) return undefined;
  const ms = Date.parse(`${lastKey.slice(0, 19)}Z`);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}
