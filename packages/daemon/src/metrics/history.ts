import { createReadStream } from "node:fs";
import { appendFile, mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";

/** What an app's point holds, in this order on disk; null when nothing was measured. */
export const POINT_FIELDS = [
  "cpuPercent",
  "memoryBytes",
  "memoryLimitBytes",
  "networkRxBytesPerSecond",
  "networkTxBytesPerSecond",
  "pids",
  "restarts",
  "instances",
  "requestsPerSecond",
  "responses2xxPerSecond",
  "responses3xxPerSecond",
  "responses4xxPerSecond",
  "responses5xxPerSecond",
  "latencyMs",
  "volumeBytes",
] as const;
export type PointField = (typeof POINT_FIELDS)[number];
export type PointValues = (number | null)[];

export interface Point {
  /** Milliseconds since the epoch; a coarse tier's points carry their bucket's start. */
  t: number;
  v: PointValues;
}

export interface Tier {
  name: "raw" | "1m" | "10m";
  /** 0: every sample as taken. */
  bucketMs: number;
  retentionMs: number;
}

const MINUTE = 60_000;
export const TIERS: readonly Tier[] = [
  { name: "raw", bucketMs: 0, retentionMs: 60 * MINUTE },
  { name: "1m", bucketMs: MINUTE, retentionMs: 24 * 60 * MINUTE },
  { name: "10m", bucketMs: 10 * MINUTE, retentionMs: 30 * 24 * 60 * MINUTE },
];
/** The most points one series keeps per tier, whatever the sampling interval (memory stays bounded). */
export const MAX_POINTS_PER_TIER = 3_600;
/** The most series (apps, removed ones included until they age out) kept. */
export const MAX_SERIES = 5_000;

interface Accumulator {
  bucket: number;
  sums: number[];
  counts: number[];
}

interface Series {
  tiers: Point[][];
  /** The open bucket of each coarse tier (index 1 and 2). */
  open: (Accumulator | undefined)[];
  updatedAt: number;
}

/**
 * Each app's samples, kept three ways (every sample for an hour, 1-minute averages for a day,
 * 10-minute averages for 30 days). Every point goes to an append-only file per tier under
 * `<data dir>/metrics/` as it is made, so a daemon killed with -9 loses nothing written; a file
 * is rewritten with only what is still kept when it has grown to twice that (and at open, which
 * also drops a line torn by the kill). Not in the store: lowdb rewrites its whole file per write.
 */
export class MetricsHistory {
  private readonly dir: string;
  private readonly series = new Map<string, Series>();
  private readonly pending: string[][] = TIERS.map(() => []);
  private readonly appendedSinceCompaction: number[] = TIERS.map(() => 0);
  private writing: Promise<void> = Promise.resolve();

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async open(dataDir: string, now = Date.now()): Promise<MetricsHistory> {
    const history = new MetricsHistory(path.join(dataDir, "metrics"));
    await mkdir(history.dir, { recursive: true, mode: 0o700 });
    for (const [index, tier] of TIERS.entries()) {
      await history.load(index, now - tier.retentionMs);
    }
    history.reopenBuckets();
    for (const index of TIERS.keys()) await history.compact(index);
    return history;
  }

  /** One sample of an app ("tenant/app") taken at `t`. */
  record(key: string, t: number, values: PointValues): void {
    const series = this.seriesOf(key);
    series.updatedAt = t;
    this.add(key, series, 0, { t, v: values });
  }

  /** Closes coarse buckets whose time is over (an app no longer sampled still gets its last average). */
  closeBuckets(now: number): void {
    for (const [key, series] of this.series) {
      for (let index = 1; index < TIERS.length; index++) {
        const open = series.open[index];
        const tier = TIERS[index] as Tier;
        if (open && open.bucket + tier.bucketMs <= now - tier.bucketMs) this.emit(key, series, index);
      }
    }
  }

  /** The points since `since` from the finest tier that still covers it. */
  read(key: string, since: number, now = Date.now()): { tier: Tier; points: Point[] } {
    const index = TIERS.findIndex((tier) => now - since <= tier.retentionMs);
    const tierIndex = index === -1 ? TIERS.length - 1 : index;
    const points = this.series.get(key)?.tiers[tierIndex] ?? [];
    return { tier: TIERS[tierIndex] as Tier, points: points.filter((p) => p.t >= since) };
  }

  latest(key: string): Point | undefined {
    return this.series.get(key)?.tiers[0]?.at(-1);
  }

  /**
   * Drops an app's series, in memory and on disk (every tier's file is rewritten without it): a
   * destroyed app's history must not show up for a later app of that name, or of a later tenant
   * of that name.
   */
  forget(key: string): Promise<void> {
    if (!this.series.delete(key)) return this.writing;
    const prefix = `{"k":${JSON.stringify(key)},`;
    for (const lines of this.pending) {
      const kept = lines.filter((line) => !line.startsWith(prefix));
      lines.splice(0, lines.length, ...kept);
    }
    this.writing = this.writing.then(async () => {
      for (const index of TIERS.keys()) await this.compact(index);
    });
    return this.writing;
  }

  /** Writes what was recorded since the last call (one append per tier). */
  flush(): Promise<void> {
    const batches = this.pending.map((lines) => lines.splice(0));
    this.writing = this.writing.then(async () => {
      for (const [index, lines] of batches.entries()) {
        if (lines.length === 0) continue;
        await appendFile(this.file(index), lines.join(""), { mode: 0o600 });
        this.appendedSinceCompaction[index] = (this.appendedSinceCompaction[index] ?? 0) + lines.length;
        if ((this.appendedSinceCompaction[index] ?? 0) > Math.max(1_000, this.kept(index))) await this.compact(index);
      }
    });
    return this.writing;
  }

  private seriesOf(key: string): Series {
    let series = this.series.get(key);
    if (!series) {
      if (this.series.size >= MAX_SERIES) this.dropStalest();
      series = { tiers: TIERS.map(() => []), open: TIERS.map(() => undefined), updatedAt: 0 };
      this.series.set(key, series);
    }
    return series;
  }

  private dropStalest(): void {
    let stalest: [string, number] | undefined;
    for (const [key, series] of this.series) if (!stalest || series.updatedAt < stalest[1]) stalest = [key, series.updatedAt];
    if (stalest) this.series.delete(stalest[0]);
  }

  /** Keeps a point in its tier and on disk, and feeds the next tier's open bucket. */
  private add(key: string, series: Series, index: number, point: Point): void {
    const tier = TIERS[index] as Tier;
    const points = series.tiers[index] as Point[];
    points.push(point);
    const oldest = point.t - tier.retentionMs;
    let drop = 0;
    while (drop < points.length && ((points[drop] as Point).t < oldest || points.length - drop > MAX_POINTS_PER_TIER)) drop++;
    if (drop > 0) points.splice(0, drop);
    this.pending[index]?.push(`${JSON.stringify({ k: key, t: point.t, v: point.v })}\n`);
    if (index + 1 < TIERS.length) this.accumulate(key, series, index + 1, point);
  }

  private accumulate(key: string, series: Series, index: number, point: Point): void {
    const tier = TIERS[index] as Tier;
    const bucket = Math.floor(point.t / tier.bucketMs) * tier.bucketMs;
    let open = series.open[index];
    if (open && open.bucket !== bucket) {
      this.emit(key, series, index);
      open = undefined;
    }
    if (!open) {
      open = { bucket, sums: POINT_FIELDS.map(() => 0), counts: POINT_FIELDS.map(() => 0) };
      series.open[index] = open;
    }
    for (const [i, value] of point.v.entries()) {
      if (value === null || value === undefined) continue;
      open.sums[i] = (open.sums[i] ?? 0) + value;
      open.counts[i] = (open.counts[i] ?? 0) + 1;
    }
  }

  /** The open bucket's averages become a point of its tier. */
  private emit(key: string, series: Series, index: number): void {
    const open = series.open[index];
    if (!open) return;
    series.open[index] = undefined;
    const values = open.sums.map((sum, i) => {
      const count = open.counts[i] ?? 0;
      return count === 0 ? null : Math.round((sum / count) * 100) / 100;
    });
    this.add(key, series, index, { t: open.bucket, v: values });
  }

  /**
   * After a load: the buckets that were open at the kill are filled again from the finer tier's
   * points after the last point each coarse tier wrote, so the next average counts them (a bucket
   * the kill left unwritten is written now). Coarsest first: a 1-minute point written here goes
   * on into the 10-minute bucket by itself.
   */
  private reopenBuckets(): void {
    for (const [key, series] of this.series) {
      for (let index = TIERS.length - 1; index >= 1; index--) {
        const tier = TIERS[index] as Tier;
        const last = series.tiers[index]?.at(-1);
        const from = last === undefined ? Number.NEGATIVE_INFINITY : last.t + tier.bucketMs;
        for (const point of series.tiers[index - 1] ?? []) {
          if (point.t >= from) this.accumulate(key, series, index, point);
        }
      }
    }
  }

  private async load(index: number, oldest: number): Promise<void> {
    const lines = createInterface({ input: createReadStream(this.file(index)), crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const line of lines) {
        const point = parseLine(line);
        if (!point || point.t < oldest) continue;
        const series = this.seriesOf(point.k);
        series.updatedAt = Math.max(series.updatedAt, point.t);
        const points = series.tiers[index] as Point[];
        // In time order; a point written twice (an append queued across a compaction) once.
        if (points.length > 0 && (points.at(-1) as Point).t >= point.t) continue;
        points.push({ t: point.t, v: point.v });
        if (points.length > MAX_POINTS_PER_TIER * 2) points.splice(0, points.length - MAX_POINTS_PER_TIER);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    for (const series of this.series.values()) {
      const points = series.tiers[index] as Point[];
      if (points.length > MAX_POINTS_PER_TIER) points.splice(0, points.length - MAX_POINTS_PER_TIER);
    }
  }

  private kept(index: number): number {
    let count = 0;
    for (const series of this.series.values()) count += series.tiers[index]?.length ?? 0;
    return count;
  }

  /** Rewrites a tier's file with what it keeps (a new file renamed over the old: never half-written). */
  private async compact(index: number): Promise<void> {
    const lines: string[] = [];
    for (const [key, series] of this.series) {
      for (const point of series.tiers[index] ?? []) lines.push(`${JSON.stringify({ k: key, t: point.t, v: point.v })}\n`);
    }
    const file = this.file(index);
    await writeFile(`${file}.tmp`, lines.join(""), { mode: 0o600 });
    await rename(`${file}.tmp`, file);
    this.appendedSinceCompaction[index] = 0;
    // What waited to be appended is in the rewritten file already.
    this.pending[index]?.splice(0);
  }

  private file(index: number): string {
    return path.join(this.dir, `${TIERS[index]?.name}.ndjson`);
  }
}

/** One stored point; undefined for a line a kill cut short or anything else that is not one. */
function parseLine(line: string): { k: string; t: number; v: PointValues } | undefined {
  try {
    const value = JSON.parse(line) as { k?: unknown; t?: unknown; v?: unknown };
    if (typeof value.k !== "string" || typeof value.t !== "number" || !Array.isArray(value.v)) return undefined;
    return { k: value.k, t: value.t, v: value.v.map((x) => (typeof x === "number" ? x : null)) };
  } catch {
    return undefined;
  }
}
