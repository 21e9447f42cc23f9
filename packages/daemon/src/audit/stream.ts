import { Readable } from "node:stream";
import type { AuditEntry } from "@minicloud/shared";
import type { AuditLog } from "./log.ts";

/** Live entries held for a follower that reads slower than they are written; past this it is cut. */
const MAX_QUEUED_ENTRIES = 10_000;

export interface AuditStreamOptions {
  /** Only the last N (read from the end of the file); else every entry, streamed from the start. */
  tail?: number | undefined;
  /** After the history, entries as they are written, until the reader goes away. */
  follow: boolean;
  visible: (entry: AuditEntry) => boolean;
}

/**
 * `GET /v1/audit` as NDJSON, pulled by the reader: the history never sits in memory whole, and a
 * follower that falls more than MAX_QUEUED_ENTRIES behind is cut (its stream ends) instead of
 * growing the daemon. Entries written while the history is read are sent once, after it.
 */
export function auditStream(log: AuditLog, options: AuditStreamOptions): Readable {
  const queue: AuditEntry[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const forward = (entry: AuditEntry) => {
    if (!options.visible(entry)) return;
    if (queue.length >= MAX_QUEUED_ENTRIES) done = true;
    else queue.push(entry);
    wake?.();
  };
  if (options.follow) log.on("entry", forward);

  async function* lines(): AsyncGenerator<string> {
    try {
      let lastSeq = 0;
      const history = options.tail ? await log.tail(options.tail, options.visible) : log.entries();
      for await (const entry of history) {
        if (!options.visible(entry)) continue;
        lastSeq = entry.seq;
        yield `${JSON.stringify(entry)}\n`;
      }
      while (options.follow && !done) {
        const entry = queue.shift();
        if (!entry) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if (entry.seq <= lastSeq) continue;
        lastSeq = entry.seq;
        yield `${JSON.stringify(entry)}\n`;
      }
    } finally {
      log.off("entry", forward);
    }
  }

  const stream = Readable.from(lines(), { objectMode: false });
  // A follower waiting for the next entry must notice the reader left, or it would hold its listener.
  stream.once("close", () => {
    done = true;
    log.off("entry", forward);
    wake?.();
  });
  return stream;
}
