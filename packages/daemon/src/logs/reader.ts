import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { MAX_LOG_LINES } from "@minicloud/shared";
import { timeKey } from "../apps/log-follow.ts";
import type { LogLine } from "../runtime/runtime.ts";
import type { LineTest } from "./grep.ts";
import { decodeLine, instanceOf, type StoredLine, textStart } from "./line-format.ts";
import type { Segment } from "./log-store.ts";

/** What a read keeps; every field narrows it. */
export interface LogQuery {
  sinceMs?: number | undefined;
  /** The newest N lines of each instance (of those the other fields keep). */
  tail?: number | undefined;
  grep?: LineTest | undefined;
  instance?: string | undefined;
  release?: number | undefined;
}

/** Lines (as JSON) leave in batches of about this many bytes: one chunk per line would cost more than the line. */
const BATCH_BYTES = 16 * 1024;
/** Lines held to put lines that were written a little out of order back in time order. */
const REORDER_BYTES = 2 * 1024 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;
/** Up to this many instances, a read with a tail merges one reader per instance (each reads every segment). */
const MAX_MERGED_INSTANCES = 16;

/** The line that says an instance has older lines than a read without `tail`/`since`/`grep` returns. */
export function olderLinesMarker(instance: string, shown: number): LogLine {
  return {
    ts: new Date().toISOString(),
    instance,
    stream: "stderr",
    line: `[minicloud] only the newest ${shown} lines of ${instance} are shown — read older ones with --since or --tail`,
  };
}

/**
 * Stored lines as NDJSON, in time order, streamed: a reader that stops reading stops the file reads
 * (Readable.from pulls only when asked). A read that names none of `tail`, `since` and `grep` gets the
 * newest lines of each instance up to MAX_LOG_LINES, and a line saying older ones exist.
 */
export function readStored(segments: Segment[], query: LogQuery): Readable {
  // The sizes now: lines appended while reading belong to the next read (and both passes see the same lines).
  const snapshot = segments.map((s) => ({ ...s }));
  const capped = query.tail === undefined && query.sinceMs === undefined && query.grep === undefined;
  const tail = capped ? MAX_LOG_LINES : query.tail;
  return Readable.from(ndjson(snapshot, query, tail, capped), { objectMode: false });
}

async function* ndjson(segments: Segment[], query: LogQuery, tail: number | undefined, capped: boolean): AsyncGenerator<string> {
  const keep = filterOf(query);
  let batch = "";
  const counts = new Map<string, number>();
  if (tail !== undefined) {
    // A tail needs each instance's count first: a first pass counts, the second skips the older lines.
    for await (const batch of storedLines(segments, keep.chunk)) for (const text of batch) if (keep(text)) bump(counts, instanceOf(text));
  }
  const lines =
    tail !== undefined && counts.size <= MAX_MERGED_INSTANCES
      ? merged(segments, keep, counts, tail)
      : windowed(segments, keep, counts, tail);
  for await (const line of lines) {
    batch += json(line);
    if (batch.length >= BATCH_BYTES) {
      yield batch;
      batch = "";
    }
  }
  if (capped && tail !== undefined) {
    for (const [instance, count] of counts) if (count > tail) batch += `${JSON.stringify(olderLinesMarker(instance, tail))}\n`;
  }
  if (batch) yield batch;
}

/**
 * An exact merge: each instance's stored lines are in time order (its collector takes them so),
 * but instances' lines interleave by write, as far apart as one follower was behind another. One
 * reader per instance (each skipping the lines before its tail), the earliest head goes next.
 */
async function* merged(segments: Segment[], keep: Keep, counts: Map<string, number>, tail: number): AsyncGenerator<StoredLine> {
  const sources = [...counts].map(([instance, count]) => {
    const lines = instanceLines(segments, instance, keep, Math.max(0, count - tail));
    return { lines, head: undefined as { key: string; line: StoredLine } | undefined };
  });
  const advance = async (source: (typeof sources)[number]) => {
    const next = await source.lines.next();
    source.head = next.done ? undefined : { key: timeKey(next.value.ts), line: next.value };
  };
  try {
    await Promise.all(sources.map(advance));
    while (true) {
      let first: (typeof sources)[number] | undefined;
      for (const source of sources) if (source.head && (!first?.head || source.head.key < first.head.key)) first = source;
      if (!first?.head) return;
      yield first.head.line;
      await advance(first);
    }
  } finally {
    for (const source of sources) await source.lines.return(undefined);
  }
}

async function* instanceLines(segments: Segment[], instance: string, keep: Keep, skip: number): AsyncGenerator<StoredLine> {
  let left = skip;
  for await (const batch of storedLines(segments, keep.chunk)) {
    for (const text of batch) {
      if (instanceOf(text) !== instance || !keep(text)) continue;
      if (left > 0) {
        left--;
        continue;
      }
      const line = decodeLine(text);
      if (line) yield line;
    }
  }
}

/**
 * One pass, for searches and for apps with many instances: lines go out through a bounded window
 * that puts lines written a little out of order back in time order.
 */
async function* windowed(
  segments: Segment[],
  keep: Keep,
  counts: Map<string, number>,
  tail: number | undefined,
): AsyncGenerator<StoredLine> {
  const skip = new Map([...counts].map(([instance, count]) => [instance, tail === undefined ? 0 : Math.max(0, count - tail)]));
  const window = new LineHeap();
  for await (const batch of storedLines(segments, keep.chunk)) {
    const out: StoredLine[] = [];
    for (const text of batch) {
      if (!keep(text)) continue;
      const instance = instanceOf(text);
      const left = skip.get(instance) ?? 0;
      if (left > 0) {
        skip.set(instance, left - 1);
        continue;
      }
      const line = decodeLine(text);
      if (!line) continue;
      window.push(line);
      while (window.bytes > REORDER_BYTES) {
        const next = window.pop();
        if (next) out.push(next);
      }
    }
    yield* out;
  }
  while (window.size > 0) {
    const next = window.pop();
    if (next) yield next;
  }
}

function json(line: StoredLine): string {
  return `${JSON.stringify({ ts: line.ts, instance: line.instance, stream: line.stream, line: line.line, release: line.release })}\n`;
}

/** Whether a stored line is kept; `chunk`, when set, says whether any line of a chunk of them may be. */
type Keep = ((text: string) => boolean) & { chunk?: ((text: string) => boolean) | undefined };

function filterOf(query: LogQuery): Keep {
  const sinceKey = query.sinceMs === undefined ? undefined : timeKey(new Date(query.sinceMs).toISOString());
  const release = query.release === undefined ? undefined : String(query.release);
  const keep: Keep = (text) => {
    if (query.instance !== undefined && instanceOf(text) !== query.instance) return false;
    if (sinceKey !== undefined && timeKey(text.slice(0, text.indexOf("\t"))) < sinceKey) return false;
    const start = textStart(text);
    if (start < 0) return false;
    if (release !== undefined && text.slice(text.lastIndexOf("\t", start - 2) + 1, start - 1) !== release) return false;
    return query.grep ? query.grep(text.slice(start)) : true;
  };
  keep.chunk = query.grep?.chunk;
  return keep;
}

/**
 * The stored lines of the segments (without their newlines) a chunk at a time, up to each
 * segment's size when the read began. A chunk in which `chunkTest` finds nothing is skipped whole:
 * a search runs the pattern over the chunk once instead of once per line.
 */
async function* storedLines(segments: Segment[], chunkTest?: (text: string) => boolean): AsyncGenerator<string[]> {
  for (const segment of segments) {
    if (segment.bytes === 0) continue;
    const stream = createReadStream(segment.file, { encoding: "utf8", highWaterMark: READ_CHUNK_BYTES, end: segment.bytes - 1 });
    let rest = "";
    try {
      for await (const chunk of stream as AsyncIterable<string>) {
        const text = rest + chunk;
        const end = text.lastIndexOf("\n");
        if (end < 0) {
          rest = text;
          continue;
        }
        rest = text.slice(end + 1);
        const complete = text.slice(0, end);
        if (chunkTest && !chunkTest(complete)) continue;
        yield complete.split("\n");
      }
    } catch (error) {
      // Pruned while it was read (the tenant's cap): its lines are gone.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    } finally {
      stream.destroy();
    }
    if (rest) yield [rest];
  }
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** A min-heap of lines by time, with the bytes it holds. */
class LineHeap {
  private readonly items: { key: string; line: StoredLine }[] = [];
  bytes = 0;

  get size(): number {
    return this.items.length;
  }

  push(line: StoredLine): void {
    const items = this.items;
    items.push({ key: timeKey(line.ts), line });
    this.bytes += line.line.length + 64;
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      swap(items, i, parent);
      i = parent;
    }
  }

  pop(): StoredLine | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (!top || !last) return undefined;
    this.bytes -= top.line.line.length + 64;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      while (true) {
        const [l, r] = [2 * i + 1, 2 * i + 2];
        let smallest = i;
        if (l < items.length && before(items[l], items[smallest])) smallest = l;
        if (r < items.length && before(items[r], items[smallest])) smallest = r;
        if (smallest === i) break;
        swap(items, i, smallest);
        i = smallest;
      }
    }
    return top.line;
  }
}

/** Earlier by time; among equal times, the one pushed first is not guaranteed (a heap is not stable). */
function before(a: { key: string } | undefined, b: { key: string } | undefined): boolean {
  return a !== undefined && b !== undefined && a.key < b.key;
}

function swap<T>(items: T[], i: number, j: number): void {
  const a = items[i] as T;
  items[i] = items[j] as T;
  items[j] = a;
}
