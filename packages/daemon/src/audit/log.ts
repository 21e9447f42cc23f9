import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { appendFile, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AuditEntry, AuditVerify } from "@minicloud/shared";
import { Serial } from "../common/keyed-mutex.ts";

export type AuditRecord = Omit<AuditEntry, "seq" | "ts" | "prevHash" | "hash">;

const GENESIS = "0".repeat(64);

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
    const entries = await log.readAll();
    const last = entries.at(-1);
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

  async readAll(): Promise<AuditEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch {
      return [];
    }
    const entries: AuditEntry[] = [];
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        entries.push(JSON.parse(line) as AuditEntry);
      } catch {
        // An unparsable line is reported by verify; readers skip it.
      }
    }
    return entries;
  }

  async verify(): Promise<AuditVerify> {
    let text = "";
    try {
      text = await readFile(this.file, "utf8");
    } catch {
      // No log yet: an empty chain.
    }
    const lines = text.split("\n").filter(Boolean);
    let prevHash = GENESIS;
    let expectedSeq = 1;
    for (const line of lines) {
      let entry: AuditEntry;
      try {
        entry = JSON.parse(line) as AuditEntry;
      } catch {
        return broken(lines.length, expectedSeq, "an entry is not valid JSON");
      }
      if (entry.seq !== expectedSeq) return broken(lines.length, expectedSeq, `entry ${expectedSeq} is missing (found ${entry.seq})`);
      if (entry.prevHash !== prevHash) return broken(lines.length, entry.seq, "the entry does not point at the previous entry's hash");
      const { hash, ...unsigned } = entry;
      if (hashOf(unsigned) !== hash) return broken(lines.length, entry.seq, "the entry was modified after it was written");
      prevHash = hash;
      expectedSeq++;
    }
    const head = await readFile(this.headFile, "utf8").catch(() => "");
    const [headSeq, headHash] = head.trim().split(" ");
    if (headSeq && (Number(headSeq) !== expectedSeq - 1 || headHash !== prevHash)) {
      return broken(
        lines.length,
        expectedSeq,
        `the log ends at entry ${expectedSeq - 1} but entry ${headSeq} was written: entries were removed`,
      );
    }
    return { ok: true, entries: lines.length, brokenAt: null, reason: null };
  }
}

function broken(entries: number, at: number, reason: string): AuditVerify {
  return { ok: false, entries, brokenAt: at, reason };
}
