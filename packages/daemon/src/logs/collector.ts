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
/** How long a read waits for followers to deliver what the engine already holds. */
const SYNC_WAIT_MS = 3000;
/** A follower without a line for this long while its container has newer ones is opened again. */
const STALL_MS = 5000;
/** Each quiet follower is checked against the engine at most this often (one small engine read). */
const STALL_CHECK_MS = 15_000;
/** Lines delivered again in a row after which a follower asks the engine again from its last line. */
const MAX_REPEATED = 20_000;

/** An RFC 3339 timestamp as the engine puts before each line. */
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  /** A stream is open or being opened, or a sync reads the container: the one source of its lines. */
  busy: boolean;
  /** When its stream last delivered a line (or opened), and when it was last checked for a stall. */
  lastDataAt: number;
  checkedAt: number;
  /** Lines in a row the stream delivered again (older than the last taken). */
  repeated: number;
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

  /**
   * Picks up every container of ours: running ones are followed; stopped ones (which may have
   * written more before they stopped while no daemon ran) are read to their end one at a time, in
   * the background, so a host with many of them does not ask the engine for all at once.
   */
  async start(): Promise<void> {
    const instances = await this.deps.runtime.listInstances();
    for (const instance of instances) if (instance.state === "running") void this.attach(instance);
    void (async () => {
      for (const instance of instances) {
        if (this.stopped) return;
        if (instance.state !== "running") await this.syncOne(instance).catch(() => undefined);
      }
    })();
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
   * Brings the app's logs up to what the engine holds now, and writes them: a read right after an
   * app wrote sees its lines. A container with a follower is waited for (a while: during a flood
   * the read shows what is stored); one without (stopped) is read up to its end. One source per
   * container at a time: the engine's reads repeat lines around a log rotation, and two sources
   * moving one cursor could skip lines.
   */
  async sync(tenant: string, app: string): Promise<void> {
    const instances = await this.deps.runtime.listInstances({ tenant, app });
    await Promise.all(
      instances.map((instance) =>
        this.syncOne(instance).catch((error) =>
          // Being removed, say: what it wrote is stored already, or went with it.
          this.deps.logger.debug({ err: error, container: instance.containerId }, "could not collect an instance's newest lines"),
        ),
      ),
    );
    await this.deps.store.flush(tenant, app);
  }

  private async syncOne(instance: RuntimeInstance): Promise<void> {
    const follower = await this.followerOf(instance);
    const newest = await this.newestKey(instance);
    if (newest === undefined || newest <= follower.lastKey) return;
    const deadline = Date.now() + SYNC_WAIT_MS;
    while (follower.busy && follower.lastKey < newest && Date.now() < deadline) await sleep(25);
    if (follower.busy) return;
    follower.busy = true;
    try {
      const stream = await this.deps.runtime.logs(instance.containerId, instance.instanceId, {
        follow: false,
        sinceSeconds: sinceOf(follower.lastKey),
      });
      for await (const line of stream as AsyncIterable<LogLine>) {
        if (!this.take(follower, line)) await this.deps.store.whenDrained(follower.tenant, follower.app);
      }
      this.flushDropped(follower);
    } finally {
      follower.busy = follower.stream !== undefined;
    }
  }

  /**
   * A follower quiet for a while whose container has newer lines than it delivered: the engine's
   * stream stalled (it can, around a log rotation), so it is opened again from the last line taken.
   */
  private async unstall(follower: Follower, instance: RuntimeInstance): Promise<void> {
    const newest = await this.newestKey(instance).catch(() => undefined);
    if (newest === undefined || newest <= follower.lastKey || Date.now() - follower.lastDataAt <= STALL_MS) return;
    this.deps.logger.warn({ container: instance.containerId }, "a log follower stalled: following again");
    follower.stream?.destroy();
  }

  /** The time key of the newest line the engine holds for a container. */
  private async newestKey(instance: RuntimeInstance): Promise<string | undefined> {
    const stream = await this.deps.runtime.logs(instance.containerId, instance.instanceId, { follow: false, tail: 1 });
    let newest: string | undefined;
    for await (const line of stream as AsyncIterable<LogLine>) newest = timeKey(line.ts);
    return newest;
  }

  private async rescan(): Promise<void> {
    try {
      const now = Date.now();
      for (const instance of await this.deps.runtime.listInstances()) {
        if (instance.state !== "running") continue;
        const follower = this.followers.get(instance.containerId);
        if (!follower?.busy) void this.attach(instance);
        else if (follower.stream && now - follower.lastDataAt > STALL_MS && now - follower.checkedAt > STALL_CHECK_MS) {
          follower.checkedAt = now;
          void this.unstall(follower, instance);
        }
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
        busy: false,
        lastDataAt: 0,
        checkedAt: 0,
        repeated: 0,
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
    if (follower.busy) return;
    follower.busy = true;
    let stream: Readable;
    try {
      follower.stream = stream = await this.deps.runtime.logs(instance.containerId, instance.instanceId, {
        follow: true,
        sinceSeconds: sinceOf(follower.lastKey),
      });
    } catch (error) {
      follower.stream = undefined;
      follower.busy = false;
      this.deps.logger.debug({ err: error, container: instance.containerId }, "could not follow an instance's logs");
      return;
    }
    if (this.stopped) return void stream.destroy();
    follower.lastDataAt = Date.now();
    const opened = Date.now();
    stream.on("data", (line: LogLine) => {
      follower.lastDataAt = Date.now();
      const taken = this.take(follower, line);
      if (follower.repeated > MAX_REPEATED) {
        // The engine re-reads its rotated files from their start when a follower falls behind:
        // asking again from the last line taken is faster than skipping them.
        follower.repeated = 0;
        stream.destroy();
        setTimeout(() => void this.attach(instance), 100).unref();
        return;
      }
      if (taken) return;
      stream.pause();
      void this.deps.store.whenDrained(follower.tenant, follower.app).then(() => stream.resume());
    });
    const detach = () => {
      if (follower.stream !== stream) return;
      follower.stream = undefined;
      follower.busy = false;
      this.flushDropped(follower);
      // The engine ends a follow at times while the container runs (around a log rotation): follow
      // again at once. A stream that ended as soon as it opened belongs to a stopped container.
      if (!this.stopped && Date.now() - opened > 1000) setTimeout(() => void this.attach(instance), 100).unref();
    };
    stream.once("end", detach);
    stream.once("error", detach);
    stream.once("close", detach);
  }

  /** One line from the engine: skipped when already taken, dropped past the rate. False: the store is full, pause. */
  private take(follower: Follower, line: LogLine): boolean {
    if (!TIMESTAMP.test(line.ts)) return this.engineMessage(follower, line);
    const key = timeKey(line.ts);
    if (key <= follower.lastKey) {
      follower.repeated++;
      return true;
    }
    follower.repeated = 0;
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

  /**
   * The engine writes its own errors into a log stream, untimestamped ("Error grabbing logs: …",
   * around a log rotation): kept as a platform line, never taken for the container's time.
   */
  private engineMessage(follower: Follower, line: LogLine): boolean {
    const text = `${line.ts} ${line.line}`.trim();
    this.deps.logger.warn({ container: follower.containerId, message: text }, "the engine reported an error in a log stream");
    return this.deps.store.append(follower.tenant, follower.app, {
      ts: new Date().toISOString(),
      instance: follower.instance,
      stream: "stderr",
      line: `[minicloud] the engine reported while reading this instance's logs: ${text}`,
      release: this.releaseOf(follower),
    });
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
