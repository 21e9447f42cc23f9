import { EventEmitter } from "node:events";
import { appendFile, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { timeKey } from "../apps/log-follow.ts";
import { KeyedMutex } from "../common/keyed-mutex.ts";
import { decodeLine, encodeLine, type StoredLine } from "./line-format.ts";

/** Lines wait this long in memory before they are appended (one write per app per tick, sorted by time). */
const FLUSH_MS = 200;
/** Bytes of lines waiting for one app past which its collectors are asked to pause. */
const PENDING_MAX_BYTES = 1024 * 1024;
/** After a crash, the newest bytes of an app's newest segment are read for lines newer than its cursors. */
const CURSOR_SCAN_BYTES = 2 * PENDING_MAX_BYTES;
/** The longest a collector waits for its app's queue to be written before it goes on. */
const DRAIN_WAIT_MS = 1000;
const SEGMENT = /^(\d{15})\.(\d{6})\.log$/;

export interface LogStoreOptions {
  /** `<data dir>/app-logs`: `<tenant>/<app>/<first ms>.<seq>.log` segments and a `cursors.json` each. */
  dir: string;
  /** Bytes of stored logs a tenant keeps; past it, the oldest segments of its largest app go first. */
  bytesPerTenant: number;
  logger: Logger;
}

/** One segment file; its name is its index: the time of its first line. */
export interface Segment {
  file: string;
  firstMs: number;
  bytes: number;
}

interface AppLog {
  tenant: string;
  app: string;
  dir: string;
  segments: Segment[];
  nextSeq: number;
  pending: StoredLine[];
  pendingBytes: number;
  /** Per instance, the time key of its newest line on disk: where its collector resumes after a restart. */
  cursors: Map<string, string>;
  cursorsLoaded: boolean;
  /** A write asked for by a full queue is under way. */
  flushing: boolean;
}

/**
 * The durable log store: append-only segment files per tenant and app under the data dir, apart from
 * the engine's per-container logs (which go with their container). Writes are batched per app and
 * sorted by time; each tenant's bytes are capped by deleting whole old segments.
 */
export class LogStore extends EventEmitter<{ drained: [string] }> {
  private readonly options: LogStoreOptions;
  private readonly segmentBytes: number;
  private readonly apps = new Map<string, AppLog>();
  private readonly writes = new KeyedMutex();
  private timer: NodeJS.Timeout | undefined;

  private constructor(options: LogStoreOptions) {
    super();
    // One waiter per paused collector of a busy app.
    this.setMaxListeners(0);
    this.options = options;
    // Small enough that a tenant's cap holds many, so pruning one costs a small share of its history.
    this.segmentBytes = Math.max(64 * 1024, Math.min(8 * 1024 * 1024, Math.floor(options.bytesPerTenant / 16)));
  }

  static async open(options: LogStoreOptions): Promise<LogStore> {
    const store = new LogStore(options);
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    for (const tenant of await readdir(options.dir)) {
      for (const app of await readdir(path.join(options.dir, tenant)).catch(() => [])) {
        const log = store.appLog(tenant, app);
        for (const name of (await readdir(log.dir)).sort()) {
          const match = SEGMENT.exec(name);
          if (!match) continue;
          const file = path.join(log.dir, name);
          log.segments.push({ file, firstMs: Number(match[1]), bytes: (await stat(file)).size });
          log.nextSeq = Math.max(log.nextSeq, Number(match[2]) + 1);
        }
      }
    }
    return store;
  }

  start(): void {
    this.timer = setInterval(() => void this.flushAll(), FLUSH_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flushAll();
  }

  /** Queues a line; false when the app's queue is full (pause until `whenDrained`). */
  append(tenant: string, app: string, line: StoredLine): boolean {
    const log = this.appLog(tenant, app);
    log.pending.push(line);
    log.pendingBytes += line.line.length + line.ts.length + line.instance.length + 16;
    if (log.pendingBytes < PENDING_MAX_BYTES) return true;
    // Full: written now rather than at the next tick, so a busy app is paused only for one write.
    if (!log.flushing) {
      log.flushing = true;
      void this.flush(tenant, app)
        .catch((error) => this.options.logger.warn({ err: error }, "could not write logs"))
        .finally(() => (log.flushing = false));
    }
    return false;
  }

  /** Resolves once the app's queue has been written (or after a second: a paused collector never waits for good). */
  whenDrained(tenant: string, app: string): Promise<void> {
    const key = appKey(tenant, app);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off("drained", listener);
        resolve();
      };
      const listener = (drained: string) => {
        if (drained === key) done();
      };
      const timer = setTimeout(() => {
        void this.flush(tenant, app).catch(() => undefined);
        done();
      }, DRAIN_WAIT_MS);
      this.on("drained", listener);
    });
  }

  /** Writes what is queued for the app now (a read calls this so it sees every line collected). */
  flush(tenant: string, app: string): Promise<void> {
    const log = this.apps.get(appKey(tenant, app));
    return log ? this.writes.run(appKey(tenant, app), () => this.write(log)) : Promise.resolve();
  }

  /** The app's segments, oldest first; with `sinceMs`, only those that may hold a line at or after it. */
  segments(tenant: string, app: string, sinceMs?: number): Segment[] {
    const segments = this.apps.get(appKey(tenant, app))?.segments ?? [];
    if (sinceMs === undefined) return [...segments];
    // A segment's lines end where the next one's begin (give or take lines that arrived late: a margin).
    const first = segments.findIndex((_s, i) => (segments[i + 1]?.firstMs ?? Number.POSITIVE_INFINITY) > sinceMs - 60_000);
    return first < 0 ? [] : segments.slice(first);
  }

  /** Bytes of stored logs of the tenant (what `mc quota` shows). */
  bytesOf(tenant: string): number {
    let bytes = 0;
    for (const log of this.apps.values()) if (log.tenant === tenant) for (const s of log.segments) bytes += s.bytes;
    return bytes;
  }

  /** Where the instance's collector resumes: the time key of its newest stored line ("" for none). */
  async cursor(tenant: string, app: string, instance: string): Promise<string> {
    const log = this.appLog(tenant, app);
    if (!log.cursorsLoaded) await this.writes.run(appKey(tenant, app), () => this.loadCursors(log));
    return log.cursors.get(instance) ?? "";
  }

  /** Forgets an app's logs (it was destroyed). */
  async removeApp(tenant: string, app: string): Promise<void> {
    const key = appKey(tenant, app);
    await this.writes.run(key, async () => {
      const log = this.apps.get(key);
      this.apps.delete(key);
      if (log) await rm(log.dir, { recursive: true, force: true });
    });
  }

  /** Forgets every app's logs of a tenant (it is being deleted). */
  async removeTenant(tenant: string): Promise<void> {
    for (const log of [...this.apps.values()]) if (log.tenant === tenant) await this.removeApp(tenant, log.app);
    await rm(path.join(this.options.dir, tenant), { recursive: true, force: true });
  }

  private appLog(tenant: string, app: string): AppLog {
    const key = appKey(tenant, app);
    let log = this.apps.get(key);
    if (!log) {
      log = {
        tenant,
        app,
        dir: path.join(this.options.dir, tenant, app),
        segments: [],
        nextSeq: 0,
        pending: [],
        pendingBytes: 0,
        cursors: new Map(),
        cursorsLoaded: false,
        flushing: false,
      };
      this.apps.set(key, log);
    }
    return log;
  }

  private async flushAll(): Promise<void> {
    await Promise.all([...this.apps.values()].filter((log) => log.pending.length > 0).map((log) => this.flush(log.tenant, log.app))).catch(
      (error) => this.options.logger.warn({ err: error }, "could not write logs"),
    );
  }

  private async write(log: AppLog): Promise<void> {
    if (log.pending.length === 0) return;
    if (!log.cursorsLoaded) await this.loadCursors(log);
    const lines = log.pending.splice(0);
    log.pendingBytes = 0;
    // Lines of several instances arrive interleaved by chunk: each write leaves in time order.
    const keyed = lines.map((line) => ({ key: timeKey(line.ts), line })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const text = keyed.map((k) => encodeLine(k.line)).join("");
    await mkdir(log.dir, { recursive: true, mode: 0o700 });
    let active = log.segments.at(-1);
    if (!active || active.bytes >= this.segmentBytes) {
      const firstMs = Date.parse(keyed[0]?.line.ts ?? "") || Date.now();
      active = {
        file: path.join(log.dir, `${String(firstMs).padStart(15, "0")}.${String(log.nextSeq++).padStart(6, "0")}.log`),
        firstMs,
        bytes: 0,
      };
      log.segments.push(active);
    }
    await appendFile(active.file, text, { mode: 0o600 });
    active.bytes += Buffer.byteLength(text);
    for (const { key, line } of keyed) log.cursors.set(line.instance, key);
    await this.saveCursors(log);
    this.emit("drained", appKey(log.tenant, log.app));
    await this.prune(log.tenant);
  }

  /** Deletes the oldest segments of the tenant's largest app until the tenant is within its cap. */
  private async prune(tenant: string): Promise<void> {
    let total = this.bytesOf(tenant);
    while (total > this.options.bytesPerTenant) {
      let largest: AppLog | undefined;
      let largestBytes = 0;
      for (const log of this.apps.values()) {
        if (log.tenant !== tenant || log.segments.length < 2) continue;
        const bytes = log.segments.reduce((sum, s) => sum + s.bytes, 0);
        if (bytes > largestBytes) [largest, largestBytes] = [log, bytes];
      }
      const oldest = largest?.segments.shift();
      if (!oldest) return; // only active segments left: each is below the segment size
      total -= oldest.bytes;
      await unlink(oldest.file).catch(() => undefined);
    }
  }

  private async loadCursors(log: AppLog): Promise<void> {
    if (log.cursorsLoaded) return;
    log.cursorsLoaded = true;
    try {
      const saved = JSON.parse(await readFile(path.join(log.dir, "cursors.json"), "utf8")) as Record<string, string>;
      for (const [instance, key] of Object.entries(saved)) log.cursors.set(instance, key);
    } catch {
      // none yet, or cut short by a crash: the newest segment says where each instance got to
    }
    // A crash between a write and its cursors: lines already on disk are not collected twice.
    const newest = log.segments.at(-1);
    if (!newest) return;
    const handle = await open(newest.file, "r").catch(() => undefined);
    if (!handle) return;
    try {
      const length = Math.min(newest.bytes, CURSOR_SCAN_BYTES);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, newest.bytes - length);
      for (const text of buffer.toString("utf8").split("\n")) {
        const line = decodeLine(text);
        if (!line) continue;
        const key = timeKey(line.ts);
        if (key > (log.cursors.get(line.instance) ?? "")) log.cursors.set(line.instance, key);
      }
    } finally {
      await handle.close();
    }
  }

  private async saveCursors(log: AppLog): Promise<void> {
    const file = path.join(log.dir, "cursors.json");
    await writeFile(`${file}.tmp`, JSON.stringify(Object.fromEntries(log.cursors)), { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }
}

function appKey(tenant: string, app: string): string {
  return `${tenant}/${app}`;
}
