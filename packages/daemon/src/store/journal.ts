import { type FileHandle, open, readFile } from "node:fs/promises";
import path from "node:path";
import type { State } from "./schema.ts";

/**
 * The state's write-ahead journal: one line per batch of changes, appended after state.json
 * (the snapshot) was last written whole. A line names whole records, so replaying it is
 * idempotent, and appending it costs what the batch touched — not the size of the state.
 * Only the last line can be torn (a crash mid-append); it is left out, with its batch, whose
 * updates had not resolved.
 */
export type Entry =
  /** A record of a keyed collection, whole. */
  | ["put", collection: string, key: string, record: unknown]
  | ["del", collection: string, key: string]
  /** A top-level property, whole (also a keyed collection whose keys are not unique). */
  | ["set", property: string, value: unknown];

/** The collections journaled record by record, and what names a record in each. */
export const KEYED_COLLECTIONS: ReadonlyMap<string, (record: never) => string> = new Map<keyof State, (record: never) => string>([
  ["tenants", (r: State["tenants"][number]) => r.name],
  ["keys", (r: State["keys"][number]) => r.id],
  ["apps", (r: State["apps"][number]) => `${r.tenant}/${r.name}`],
  ["domains", (r: State["domains"][number]) => r.hostname],
  ["volumes", (r: State["volumes"][number]) => `${r.tenant}/${r.name}`],
  ["tenantKeys", (r: State["tenantKeys"][number]) => `${r.tenant}/${r.master}`],
  ["secrets", (r: State["secrets"][number]) => `${r.tenant}/${r.app}`],
  ["webhooks", (r: State["webhooks"][number]) => r.id],
  ["deliveries", (r: State["deliveries"][number]) => r.id],
  ["dashboardSessions", (r: State["dashboardSessions"][number]) => r.hash],
]);

export function keyOf(collection: string, record: unknown): string {
  const key = KEYED_COLLECTIONS.get(collection);
  if (!key) throw new Error(`${collection} is not a keyed collection`);
  return (key as (record: unknown) => string)(record);
}

export class Journal {
  private readonly handle: FileHandle;
  private size: number;

  private constructor(handle: FileHandle, size: number) {
    this.handle = handle;
    this.size = size;
  }

  /** Opens the journal for appending; `batches` are its complete lines, to replay. */
  static async open(file: string): Promise<{ journal: Journal; batches: Entry[][] }> {
    const text = await readText(file);
    const batches = parse(text, file);
    const handle = await open(file, "a", 0o600);
    return { journal: new Journal(handle, Buffer.byteLength(text)), batches };
  }

  get bytes(): number {
    return this.size;
  }

  async append(batch: Entry[]): Promise<void> {
    const line = `${JSON.stringify(batch)}\n`;
    await this.handle.write(line);
    this.size += Buffer.byteLength(line);
  }

  /** After the snapshot holds everything: the journal starts over. */
  async clear(): Promise<void> {
    await this.handle.truncate(0);
    this.size = 0;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * The state as a daemon would find it at start — the snapshot and its journal — read without
 * changing either (the store may be live). For tools and tests.
 */
export async function readPersistedState(dataDir: string): Promise<Record<string, unknown>> {
  const snapshot = await readText(path.join(dataDir, "state.json"));
  const root = (snapshot ? JSON.parse(snapshot) : {}) as Record<string, unknown>;
  const journalFile = path.join(dataDir, "state.journal");
  replay(root, parse(await readText(journalFile), journalFile));
  return root;
}

function readText(file: string): Promise<string> {
  return readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return "";
    throw error;
  });
}

function parse(text: string, file: string): Entry[][] {
  const lines = text.split("\n");
  // What follows the last newline is empty, or an append a crash cut short.
  lines.pop();
  return lines.map((line, index) => {
    try {
      return JSON.parse(line) as Entry[];
    } catch {
      throw new Error(`${file}: line ${index + 1} is damaged (not a torn last line): restore the data dir from a backup`);
    }
  });
}

/** Applies journaled batches to the snapshot's state, in order. */
export function replay(root: Record<string, unknown>, batches: Entry[][]): void {
  const collections = new Map<string, Map<string, unknown> | unknown[]>();
  const collection = (name: string) => {
    const held = collections.get(name) ?? byKey(name, (root[name] as unknown[] | undefined) ?? []);
    collections.set(name, held);
    return held;
  };
  for (const batch of batches) {
    for (const entry of batch) {
      if (entry[0] === "set") {
        const [, property, value] = entry;
        if (KEYED_COLLECTIONS.has(property)) collections.set(property, byKey(property, value as unknown[]));
        else root[property] = value;
        continue;
      }
      const [, name, key] = entry;
      const held = collection(name);
      if (held instanceof Map) {
        if (entry[0] === "put") held.set(key, entry[3]);
        else held.delete(key);
        continue;
      }
      const index = held.findIndex((record) => keyOf(name, record) === key);
      if (entry[0] === "del") {
        if (index >= 0) held.splice(index, 1);
      } else if (index >= 0) held[index] = entry[3];
      else held.push(entry[3]);
    }
  }
  for (const [name, held] of collections) root[name] = held instanceof Map ? [...held.values()] : held;
}

/** A collection by key, in its order; kept as an array when its keys are not unique. */
function byKey(name: string, records: unknown[]): Map<string, unknown> | unknown[] {
  const map = new Map<string, unknown>();
  for (const record of records) map.set(keyOf(name, record), record);
  return map.size === records.length ? map : [...records];
}
