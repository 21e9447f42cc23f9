import type { Readable } from "node:stream";
import { LineOutbox } from "../common/line-outbox.ts";
import type { LogLine, LogOptions, Runtime } from "../runtime/runtime.ts";

/** An instance to read: its id (shown on every line) and its container. */
export interface InstanceRef {
  id: string;
  containerId: string;
}

/** How often the follower looks for instances that joined, restarted or left. */
const WATCH_MS = 200;
/**
 * Lines wait this long before they are written, so lines of several instances that arrive close
 * together leave in time order rather than in the order their streams happened to deliver them.
 * It must outlast picking a restarted instance up again (a poll, then the engine's log attach):
 * the lines it wrote meanwhile arrive late. 500 ms was exceeded on a loaded machine.
 */
const REORDER_MS = 1000;
/** Bytes of lines held for reordering before the engine's streams are paused until the next flush. */
const PENDING_MAX_BYTES = 1024 * 1024;

/** The line that stands for lines a slow reader did not get. */
export function droppedLinesMarker(count: number, why = "the reader is too slow"): string {
  return JSON.stringify({
    ts: new Date().toISOString(),
    instance: "-",
    stream: "stderr",
    line: `[minicloud] ${count} lines dropped: ${why}`,
  } satisfies LogLine);
}

export interface LogFollowDeps {
  runtime: Runtime;
  /** The app's instances now, starting ones included; undefined once the app is gone (the stream then ends). */
  instancesOf: () => Promise<InstanceRef[] | undefined>;
  /** Whether the instance's container runs now (a stopped one is picked up again when it starts). */
  isRunning: (containerId: string) => Promise<boolean>;
  /** The platform's own lines about the app as they happen (why an instance died); returns an unsubscribe. */
  platformLines?: (push: (line: LogLine) => void) => () => void;
  /** Which lines the reader wants (`--grep`, `--instance`, `--release`); all when unset. */
  keep?: (line: LogLine) => boolean;
}

/** Docker's RFC 3339 timestamps trim trailing zeros; padded, they sort as text. */
export function timeKey(ts: string): string {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(ts);
  return match ? `${match[1]}.${(match[2] ?? "").padEnd(9, "0")}${match[3]}` : ts;
}

/**
 * `mc logs -f`: every instance of the app, merged in time order, for as long as the app exists.
 * Instances of a new release join, a restarted instance is picked up again where it left off, and
 * removed ones drop out; the stream ends when the app is destroyed or the client goes away.
 *
 * Backpressure: when the reader falls behind, the engine's log streams are paused (the engine's log
 * file is the buffer), so one connection holds at most the outbox's bound plus one reorder window.
 */
export function followLogs(deps: LogFollowDeps, initial: Pick<LogOptions, "tail" | "sinceSeconds">): Readable {
  const streams = new Map<string, Readable>();
  let readerBehind = false;
  let pendingBytes = 0;
  /** Engine streams flow only while the reader keeps up and the reorder window has room. */
  const applyFlow = () => {
    const hold = readerBehind || pendingBytes >= PENDING_MAX_BYTES;
    for (const stream of streams.values()) {
      if (hold) stream.pause();
      else stream.resume();
    }
  };
  const out = new LineOutbox({
    overflow: { drop: (count) => droppedLinesMarker(count) },
    onPressure: (behind) => {
      readerBehind = behind;
      applyFlow();
    },
  });
  /** Per container, the key of the last line written: a re-attached stream starts after it. */
  const lastSeen = new Map<string, string>();
  const pending: LogLine[] = [];
  let atStart: Set<string> | undefined;
  let closed = false;
  let flushTimer: NodeJS.Timeout | undefined;

  const flush = () => {
    flushTimer = undefined;
    pending.sort((a, b) => (timeKey(a.ts) < timeKey(b.ts) ? -1 : timeKey(a.ts) > timeKey(b.ts) ? 1 : 0));
    const lines = pending.splice(0);
    pendingBytes = 0;
    if (!closed) for (const line of lines) if (!deps.keep || deps.keep(line)) out.offer(JSON.stringify(line));
    applyFlow();
  };

  const attach = async (instance: InstanceRef) => {
    const seen = lastSeen.get(instance.containerId);
    const options: LogOptions = seen
      ? { follow: true, sinceSeconds: Math.floor(Date.parse(`${seen.slice(0, 19)}Z`) / 1000) }
      : atStart?.has(instance.containerId)
        ? { follow: true, ...initial }
        : { follow: true }; // joined later: everything it wrote since it started
    const stream = await deps.runtime.logs(instance.containerId, instance.id, options);
    if (closed) {
      stream.destroy();
      return;
    }
    streams.set(instance.containerId, stream);
    if (readerBehind || pendingBytes >= PENDING_MAX_BYTES) stream.pause();
    stream.on("data", (line: LogLine) => {
      // The engine's own errors ("Error grabbing logs: …" around a rotation) carry no timestamp:
      // taken as one, they would sort after every later line and hide them.
      if (!/^\d{4}-\d\d-\d\dT/.test(line.ts)) return;
      const key = timeKey(line.ts);
      const previous = lastSeen.get(instance.containerId);
      if (previous !== undefined && key <= previous) return; // already written before a restart
      lastSeen.set(instance.containerId, key);
      pending.push(line);
      pendingBytes += line.line.length + 64;
      if (pendingBytes >= PENDING_MAX_BYTES) applyFlow();
      flushTimer ??= setTimeout(flush, REORDER_MS);
    });
    const detach = () => {
      if (streams.get(instance.containerId) === stream) streams.delete(instance.containerId);
    };
    stream.once("end", detach);
    stream.once("error", detach);
    stream.once("close", detach);
  };

  let watching = false;
  const watch = async () => {
    if (watching || closed) return;
    watching = true;
    try {
      const instances = await deps.instancesOf();
      if (!instances) return close();
      // The instances there when the client asked get its --tail/--since; later ones, everything.
      atStart ??= new Set(instances.map((i) => i.containerId));
      for (const instance of instances) {
        if (streams.has(instance.containerId)) continue;
        if (!(await deps.isRunning(instance.containerId)) && lastSeen.has(instance.containerId)) continue;
        if (!lastSeen.has(instance.containerId)) lastSeen.set(instance.containerId, "");
        await attach(instance).catch(() => undefined);
      }
    } finally {
      watching = false;
    }
  };

  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    unsubscribe?.();
    if (flushTimer) clearTimeout(flushTimer);
    flush();
    for (const stream of streams.values()) stream.destroy();
    streams.clear();
    out.finish();
  };

  const unsubscribe = deps.platformLines?.((line) => {
    pending.push(line);
    flushTimer ??= setTimeout(flush, REORDER_MS);
  });
  const timer = setInterval(() => void watch(), WATCH_MS);
  out.on("close", close);
  void watch();
  return out;
}
