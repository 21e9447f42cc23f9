import { createHash } from "node:crypto";
import { type Entry, KEYED_COLLECTIONS, keyOf } from "./journal.ts";
import type { Changes } from "./tracking.ts";

/**
 * Turns what changed into journal entries. It remembers each keyed collection's records by key,
 * so a record written to is one `put`, and only a change of membership (a record added, removed
 * or re-keyed) looks at the collection as a whole — by key, never serialising it.
 *
 * It also keeps a fingerprint of what it last journaled for each record and property, so an
 * audit can find a change the proxies did not see (an object that was put into the state and
 * then changed through the caller's own reference to it) and journal it after all.
 */
export class Ledger {
  private readonly known = new Map<string, Map<string, object>>();
  private readonly keys = new WeakMap<object, string>();
  private readonly fingerprints = new WeakMap<object, string>();
  private readonly propFingerprints = new Map<string, string>();
  /** Collections last seen with a key twice: journaled whole until they are unique again. */
  private readonly whole = new Set<string>();

  constructor(root: Record<string, unknown>) {
    for (const name of KEYED_COLLECTIONS.keys()) this.remember(name, this.current(root, name).records);
    this.fingerprintAll(root);
  }

  entries(changes: Changes, root: Record<string, unknown>): Entry[] {
    const out: Entry[] = [];
    for (const property of changes.props) {
      const value = root[property] ?? null;
      this.propFingerprints.set(property, fingerprint(value));
      out.push(["set", property, value]);
    }
    const put = (name: string, key: string, record: object) => {
      this.fingerprints.set(record, fingerprint(record));
      out.push(["put", name, key, record]);
    };
    for (const name of KEYED_COLLECTIONS.keys()) {
      const written = changes.records.get(name);
      if (!written && !changes.membership.has(name)) continue;
      const rekeyed =
        written !== undefined &&
        [...written].some((record) => this.keys.get(record) !== undefined && this.keys.get(record) !== keyOf(name, record));
      if (!changes.membership.has(name) && !rekeyed && !this.whole.has(name)) {
        for (const record of written ?? []) {
          const key = this.keys.get(record);
          // A record no longer in its collection may still be written to: it stays gone.
          if (key !== undefined) put(name, key, record);
        }
        continue;
      }
      const { records, duplicate } = this.current(root, name);
      if (duplicate || this.whole.has(name)) {
        for (const record of records.values()) this.fingerprints.set(record, fingerprint(record));
        out.push(["set", name, root[name] ?? []]);
        if (duplicate) this.whole.add(name);
        else this.whole.delete(name);
      } else {
        const known = this.known.get(name) ?? new Map<string, object>();
        for (const [key, record] of records) if (known.get(key) !== record || written?.has(record)) put(name, key, record);
        for (const key of known.keys()) if (!records.has(key)) out.push(["del", name, key]);
      }
      this.remember(name, records);
    }
    return out;
  }

  /**
   * Every record and property whose content differs from what was last journaled, as entries.
   * It serialises the whole state: for a periodic check and for tests, never on the write path.
   */
  audit(root: Record<string, unknown>): { entries: Entry[]; untracked: string[] } {
    const changes: Changes = { records: new Map(), membership: new Set(), props: new Set() };
    const untracked: string[] = [];
    for (const [property, value] of Object.entries(root)) {
      if (KEYED_COLLECTIONS.has(property)) continue;
      if (this.propFingerprints.get(property) === fingerprint(value ?? null)) continue;
      changes.props.add(property);
      untracked.push(property);
    }
    for (const name of KEYED_COLLECTIONS.keys()) {
      const { records } = this.current(root, name);
      const known = this.known.get(name) ?? new Map<string, object>();
      const changed = new Set([...records.values()].filter((record) => this.fingerprints.get(record) !== fingerprint(record)));
      const membership = records.size !== known.size || [...records].some(([key, record]) => known.get(key) !== record);
      if (changed.size === 0 && !membership) continue;
      changes.records.set(name, changed);
      if (membership) changes.membership.add(name);
      for (const record of changed) untracked.push(`${name}/${keyOf(name, record)}`);
      if (membership) untracked.push(`${name} (membership)`);
    }
    return { entries: this.entries(changes, root), untracked };
  }

  /** After the whole state was written (a snapshot): what is there now is what was journaled. */
  fingerprintAll(root: Record<string, unknown>): void {
    for (const [property, value] of Object.entries(root)) {
      if (!KEYED_COLLECTIONS.has(property)) this.propFingerprints.set(property, fingerprint(value ?? null));
    }
    for (const name of KEYED_COLLECTIONS.keys()) {
      for (const record of (root[name] as object[] | undefined) ?? []) this.fingerprints.set(record, fingerprint(record));
    }
  }

  private current(root: Record<string, unknown>, name: string): { records: Map<string, object>; duplicate: boolean } {
    const records = new Map<string, object>();
    let duplicate = false;
    for (const record of (root[name] as object[] | undefined) ?? []) {
      const key = keyOf(name, record);
      if (records.has(key)) duplicate = true;
      records.set(key, record);
    }
    return { records, duplicate };
  }

  private remember(name: string, records: Map<string, object>): void {
    for (const [key, record] of this.known.get(name) ?? []) if (records.get(key) !== record) this.keys.delete(record);
    for (const [key, record] of records) this.keys.set(record, key);
    this.known.set(name, records);
  }
}

function fingerprint(value: unknown): string {
  return createHash("sha1")
    .update(JSON.stringify(value) ?? "")
    .digest("base64");
}
