import { Readable } from "node:stream";
import { MAX_LOG_LINES } from "@minicloud/shared";
import type { LogLine, LogOptions, Runtime } from "../runtime/runtime.ts";
import { type InstanceRef, timeKey } from "./log-follow.ts";

/**
 * Lines read per instance by `GET …/logs` without `tail` or `since`: the newest ones. A read that
 * names `tail` (at most as many, by the schema) or `since` gets what it asked for, streamed.
 */
const DEFAULT_LOG_LINES = MAX_LOG_LINES;

const BATCH_BYTES = 16 * 1024;
/** The instance column of the platform's own lines. */
export const PLATFORM = "minicloud";

/** The line that says an instance has older lines than a read without `tail`/`since` returns. */
function olderLinesMarker(instance: string, shown: number): LogLine {
  return {
    ts: new Date().toISOString(),
    instance,
    stream: "stderr",
    line: `[minicloud] only the newest ${shown} lines of ${instance} are shown — read older ones with --since or --tail`,
  };
}

/**
 * `mc logs` without `-f`: the instances' lines merged in time order as NDJSON, streamed from the
 * engine. Each instance's stream is already in time order, so a k-way merge holds one line per
 * instance, and a reader that stops reading stops the engine's streams (Readable.from pulls only
 * when the reader wants more). Closing the response destroys them.
 */
export async function readLogs(
  runtime: Runtime,
  instances: InstanceRef[],
  options: Omit<LogOptions, "follow">,
  /** The platform's own lines about the app (why an instance died), merged in like one more instance. */
  platform: LogLine[] = [],
): Promise<Readable> {
  const capped = options.tail === undefined && options.sinceSeconds === undefined;
  const perInstance: LogOptions = { ...(capped ? { tail: DEFAULT_LOG_LINES } : options), follow: false };
  // Opened before the response starts, so an engine failure is an error response, not a cut stream.
  const opened = await Promise.allSettled(instances.map((i) => runtime.logs(i.containerId, i.id, perInstance)));
  const streams = opened.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const failed = opened.find((result) => result.status === "rejected");
  if (failed) {
    for (const stream of streams) stream.destroy();
    throw failed.reason;
  }
  const sources = platform.length > 0 ? [...instances, { id: PLATFORM, containerId: "" }] : instances;
  if (platform.length > 0) streams.push(Readable.from(options.tail === undefined ? platform : platform.slice(-options.tail)));
  const out = Readable.from(merged(sources, streams, capped), { objectMode: false });
  // Also when the reader leaves before the first line (the merge's own cleanup never ran).
  out.once("close", () => {
    for (const stream of streams) stream.destroy();
  });
  return out;
}

async function* merged(instances: InstanceRef[], streams: Readable[], capped: boolean): AsyncGenerator<string> {
  const sources = streams.map((stream, index) => ({
    id: instances[index]?.id ?? "",
    lines: stream[Symbol.asyncIterator]() as AsyncIterator<LogLine>,
    head: undefined as { key: string; line: LogLine } | undefined,
    count: 0,
  }));
  try {
    const advance = async (source: (typeof sources)[number]) => {
      const next = await source.lines.next();
      source.head = next.done ? undefined : { key: timeKey(next.value.ts), line: next.value };
      if (!next.done) source.count++;
    };
    await Promise.all(sources.map(advance));
    // Lines leave in batches of about BATCH_BYTES: one chunk per line would cost more than the line.
    let batch = "";
    while (true) {
      let first: (typeof sources)[number] | undefined;
      for (const source of sources) if (source.head && (!first?.head || source.head.key < first.head.key)) first = source;
      if (!first?.head) break;
      batch += `${JSON.stringify(first.head.line)}\n`;
      if (batch.length >= BATCH_BYTES) {
        yield batch;
        batch = "";
      }
      await advance(first);
    }
    if (capped) {
      for (const source of sources)
        if (source.count >= DEFAULT_LOG_LINES) batch += `${JSON.stringify(olderLinesMarker(source.id, source.count))}\n`;
    }
    if (batch) yield batch;
  } finally {
    for (const stream of streams) stream.destroy();
  }
}
