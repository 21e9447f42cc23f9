import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { createReadStream } from "node:fs";
import { appendFile, open, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import type { AuditEntry, AuditVerify } from "@minicloud/shared";
import { Serial } from "../common/keyed-mutex.ts";

export type AuditRecord = Omit<AuditEntry, "seq" | "ts" | "prevHash" | "hash">;

const GENESIS = "0".repeat(64);
/** How much of the file a backwards read takes at a time. */
const TAIL_CHUNK_BYTES = 64 * 1024;

function hashOf(entry: Omit<AuditEntry, "hash">): string {
  return createHash("sha256").update(JSON.stringify(entry)).digest("hex");
}

/**
 * Append-only audit log (JSON lines, outside lowdb so a write costs the same at any size). Each entry
 * carries the previous entry's hash, and `audit.head` remembers the last one, so an edited, removed
 * or truncated entry breaks the chain that `verify` walks.
 */
export class AuditLog extends EventEmitter<{ entry: [AuditEntry] }> {
  private readonly file: string;
  private readonly headFile: string;
  private seq = 0;
  private lastHash = GENESIS;
  private readonly writes = new Serial();

  private constructor(dataDir: string) {
    super();
    this.file = path.join(dataDir, "audit.log");
    this.headFile = path.join(dataDir, "audit.head");
  }

  static async open(dataDir: string): Promise<AuditLog> {
    const log = new AuditLog(dataDir);
    const [last] = await log.tail(1);
    if (last) {
      log.seq = last.seq;
      log.lastHash = last.hash;
    }
    return log;
  }

  append(record: AuditRecord): Promise<AuditEntry> {
    return this.writes.run(async () => {
      const unsigned = { seq: this.seq + 1, ts: new Date().toISOString(), ...record, prevHash: this.lastHash };
      const entry: AuditEntry = { ...unsigned, hash: hashOf(unsigned) };
      await appendFile(this.file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
      await writeFile(this.headFile, `${entry.seq} ${entry.hash}\n`, { mode: 0o600 });
      this.seq = entry.seq;
      this.lastHash = entry.hash;
      this.emit("entry", entry);
      return entry;
    });
  }

  /** Every entry in order, read line by line (the file may be large). */
  async *entries(): AsyncGenerator<AuditEntry> {
    for await (const line of this.lines()) {
      const entry = parse(line);
      if (entry) yield entry;
    }
  }

  /** The log's non-empty lines in order, streamed; none when there is no log yet. */
  private async *lines(): AsyncGenerator<string> {
    const input = createReadStream(this.file, { encoding: "utf8" });
    const missing = new Promise<void>((resolve) => input.once("error", () => resolve()));
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const line of lines) if (line) yield line;
    } catch {
      await missing; // no log yet: no lines
    } finally {
      lines.close();
      input.destroy();
    }
  }

  /**
   * The last `count` entries that pass `keep`, oldest first, read from the end of the file: the
   * cost is that of the entries read, not of the log's size.
   */
  async tail(count: number, keep: (entry: AuditEntry) => boolean = () => true): Promise<AuditEntry[]> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.file, "r");
    } catch {
      return [];
    }
    const found: AuditEntry[] = [];
    try {
      let position = (await handle.stat()).size;
      let carry = Buffer.alloc(0);
      while (position > 0 && found.length < count) {
        const size = Math.min(TAIL_CHUNK_BYTES, position);
        position -= size;
        const chunk = Buffer.alloc(size);
        await handle.read(chunk, 0, size, position);
        const buffer = Buffer.concat([chunk, carry]);
        // The bytes before the first newline may be the end of a line that starts in an earlier chunk.
        const firstNewline = position > 0 ? buffer.indexOf(10) : -1;
        if (position > 0 && firstNewline === -1) {
          carry = buffer;
          continue;
        }
        carry = buffer.subarray(0, firstNewline + 1);
        const lines = buffer
          .subarray(firstNewline + 1)
          .toString("utf8")
          .split("\n");
        for (let index = lines.length - 1; index >= 0 && found.length < count; index--) {
          const entry = parse(lines[index] ?? "");
          if (entry && keep(entry)) found.push(entry);
        }
      }
    } finally {
      await handle.close();
    }
    return found.reverse();
  }

  async readAll(): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    for await (const entry of this.entries()) entries.push(entry);
    return entries;
  }

  /** Walks the chain line by line (the log is never loaded whole). */
  async verify(): Promise<AuditVerify> {
    let count = 0;
    let failure: { at: number; reason: string } | undefined;
    let prevHash = GENESIS;
    let expectedSeq = 1;
    for await (const line of this.lines()) {
      count++;
      if (failure) continue; // still counted: the answer gives the log's length
      let entry: AuditEntry;
      try {
        entry = JSON.parse(line) as AuditEntry;
      } catch {
        failure = { at: expectedSeq, reason: "an entry is not valid JSON" };
        continue;
      }
      const { hash, ...unsigned } = entry;
      if (entry.seq !== expectedSeq) failure = { at: expectedSeq, reason: `entry ${expectedSeq} is missing (found ${entry.seq})` };
      else if (entry.prevHash !== prevHash) failure = { at: entry.seq, reason: "the entry does not point at the previous entry's hash" };
      else if (hashOf(unsigned) !== hash) failure = { at: entry.seq, reason: "the entry was modified after it was written" };
      else {
        prevHash = hash;
        expectedSeq++;
      }
    }
    if (failure) return broken(count, failure.at, failure.reason);
    const head = await readFile(this.headFile, "utf8").catch(() => "");
    const [headSeq, headHash] = head.trim().split(" ");
    if (headSeq && (Number(headSeq) !== expectedSeq - 1 || headHash !== prevHash)) {
      return broken(count, expectedSeq, `the log ends at entry ${expectedSeq - 1} but entry ${headSeq} was written: entries were removed`);
    }
    return { ok: true, entries: count, brokenAt: null, reason: null };
  }
}

function parse(line: string): AuditEntry | undefined {
  if (!line) return undefined;
  try {
    return JSON.parse(line) as AuditEntry;
  } catch {
    return undefined; // An unparsable line is reported by verify; readers skip it.
  }
}

function broken(entries: number, at: number, reason: string): AuditVerify {
  return { ok: false, entries, brokenAt: at, reason };
}
