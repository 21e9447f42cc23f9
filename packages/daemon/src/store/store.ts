import { chmod, mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_QUOTA } from "@minicloud/shared";
import { Low } from "lowdb";
import { JSONFile } from "lowdb/node";
import { type Entry, Journal, KEYED_COLLECTIONS, replay } from "./journal.ts";
import { Ledger } from "./ledger.ts";
import { emptyState, STATE_VERSION, type State } from "./schema.ts";
import { ChangeTracker } from "./tracking.ts";

interface PendingChange {
  change: (state: State) => unknown;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/** The journal is folded into state.json once it outgrows it (and never before this size). */
const COMPACT_AT_BYTES = 8 * 1024 * 1024;

/**
 * The only code that touches persisted state. state.json is a snapshot (lowdb writes it through
 * a temp file and a rename, so a crash leaves the old or the new one); each write since is one
 * line of state.journal naming the records it changed (see tracking.ts, journal.ts), so a write
 * costs what it touched, with 10 apps or 1,000. The journal is folded into the snapshot at start,
 * at close and when it outgrows the snapshot. Changes apply one after another, in order; those
 * that arrive while a write is under way are coalesced into the next one. Each update resolves
 * only once its change is on disk.
 */
export class Store {
  private readonly tracker: ChangeTracker;
  private readonly ledger: Ledger;
  private pending: PendingChange[] = [];
  private flushing: Promise<void> | undefined;
  private snapshotBytes = 0;
  private readonly db: Low<State>;
  private readonly journal: Journal;
  private readonly snapshotFile: string;

  private constructor(db: Low<State>, journal: Journal, snapshotFile: string, verify: boolean) {
    this.verify = verify;
    this.db = db;
    this.journal = journal;
    this.snapshotFile = snapshotFile;
    const root = db.data as unknown as Record<string, unknown>;
    this.tracker = new ChangeTracker(root, new Set(KEYED_COLLECTIONS.keys()));
    this.ledger = new Ledger(root);
  }

  /** Audit after every write and refuse a change the proxies did not see (tests: MC_STORE_VERIFY=1). */
  private readonly verify: boolean;
  private auditRequested = false;
  private untracked: string[] = [];

  static async open(dataDir: string, options: { verify?: boolean } = {}): Promise<Store> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    // An existing data dir is tightened too: it holds state, keys and every tenant's volumes.
    await chmod(dataDir, 0o700);
    const snapshotFile = path.join(dataDir, "state.json");
    const db = new Low<State>(new JSONFile(snapshotFile), emptyState());
    await db.read();
    if (db.data.version > STATE_VERSION) {
      throw new Error(`state.json has version ${db.data.version}; this mcd understands up to ${STATE_VERSION}: upgrade mcd`);
    }
    const { journal, batches } = await Journal.open(path.join(dataDir, "state.journal"));
    replay(db.data as unknown as Record<string, unknown>, batches);
    db.data = { ...emptyState(), ...db.data, version: STATE_VERSION };
    // A limit added later (maxApps) takes its default in tenants made before it.
    for (const tenant of db.data.tenants) tenant.quota = { ...DEFAULT_QUOTA, ...tenant.quota };
    for (const key of db.data.keys) key.expiresAt ??= null;
    for (const app of db.data.apps) {
      app.phase ??= "ready";
      app.release ??= 1;
      app.releases ??= [{ version: 1, spec: app.spec, status: "active", rollbackOf: null, createdAt: app.createdAt, reason: null }];
      for (const instance of app.instances) {
        instance.release ??= app.release;
        instance.restarts ??= 0;
        instance.ip ??= null;
      }
    }
    const store = new Store(db, journal, snapshotFile, options.verify ?? false);
    // Every start begins from one file: the journal replayed, the migrations above kept.
    await store.compact();
    return store;
  }

  private changes = 0;

  /** Grows with every update: answers built from the state stay valid while it does not move. */
  get revision(): number {
    return this.changes;
  }

  /** A read-only view of the current state. */
  get state(): Readonly<State> {
    return this.tracker.view as unknown as State;
  }

  /** Applies a change and persists it before resolving; changes run one after another. */
  update<T>(change: (state: State) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ change, resolve: resolve as (result: unknown) => void, reject });
      this.flushing ??= this.flush();
    });
  }

  /**
   * Looks for changes the proxies did not see and journals them; returns where they were. It
   * serialises the whole state, so it runs now and then (the daemon: every minute), not per write.
   */
  async audit(): Promise<string[]> {
    await this.update(() => {
      this.auditRequested = true;
    });
    return this.untracked;
  }

  /** Writes what is queued, then folds the journal into state.json; for a clean stop. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.compact();
    await this.journal.close();
  }

  /** Applies what is queued and writes once; repeats while more arrived during the write. */
  private async flush(): Promise<void> {
    // Changes never run inside the caller's update() call, as with a plain queue.
    await Promise.resolve();
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0);
        const settle: (() => void)[] = [];
        for (const { change, resolve, reject } of batch) {
          try {
            const result = change(this.state as State);
            this.changes++;
            settle.push(() => resolve(result));
          } catch (error) {
            settle.push(() => reject(error));
          }
        }
        try {
          const root = this.db.data as unknown as Record<string, unknown>;
          const entries = this.ledger.entries(this.tracker.take(), root);
          if (this.verify || this.auditRequested) {
            const audit = this.ledger.audit(root);
            entries.push(...audit.entries);
            this.untracked = audit.untracked;
            this.auditRequested = false;
          }
          await this.write(entries);
          if (this.verify && this.untracked.length > 0) {
            throw new Error(`untracked state change: ${this.untracked.join(", ")} was changed through a reference the store does not see`);
          }
        } catch (error) {
          for (const { reject } of batch) reject(error);
          continue;
        }
        for (const done of settle) done();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async write(entries: Entry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.journal.append(entries);
    if (this.journal.bytes > Math.max(COMPACT_AT_BYTES, this.snapshotBytes)) await this.compact();
  }

  private async compact(): Promise<void> {
    // Anything changed outside update() since the last write goes into the snapshot with the rest.
    const root = this.db.data as unknown as Record<string, unknown>;
    this.ledger.entries(this.tracker.take(), root);
    await this.db.write();
    this.ledger.fingerprintAll(root);
    this.snapshotBytes = (await stat(this.snapshotFile)).size;
    await this.journal.clear();
  }
}
