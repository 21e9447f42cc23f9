import { chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_QUOTA } from "@minicloud/shared";
import { Low } from "lowdb";
import { JSONFile } from "lowdb/node";
import { emptyState, STATE_VERSION, type State } from "./schema.ts";

interface PendingChange {
  change: (state: State) => unknown;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The only code that touches persisted state. lowdb writes through a temp file and a rename, so a
 * crash leaves either the old or the new file. Changes apply one after another, in order; those
 * that arrive while a write is under way are **coalesced** into the next write, so a burst of N
 * updates costs about two writes instead of N (a write rewrites the whole file: its cost grows
 * with the apps in state — see docs/security.md). Each update still resolves only once its
 * change is on disk.
 */
export class Store {
  private readonly db: Low<State>;
  private pending: PendingChange[] = [];
  private flushing: Promise<void> | undefined;

  private constructor(db: Low<State>) {
    this.db = db;
  }

  static async open(dataDir: string): Promise<Store> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    // An existing data dir is tightened too: it holds state, keys and every tenant's volumes.
    await chmod(dataDir, 0o700);
    const db = new Low<State>(new JSONFile(path.join(dataDir, "state.json")), emptyState());
    await db.read();
    if (db.data.version > STATE_VERSION) {
      throw new Error(`state.json has version ${db.data.version}; this mcd understands up to ${STATE_VERSION}: upgrade mcd`);
    }
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
    return new Store(db);
  }

  private changes = 0;

  /** Grows with every update: answers built from the state stay valid while it does not move. */
  get revision(): number {
    return this.changes;
  }

  /** A read-only view of the current state. */
  get state(): Readonly<State> {
    return this.db.data;
  }

  /** Applies a change and persists it before resolving; changes run one after another. */
  update<T>(change: (state: State) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ change, resolve: resolve as (result: unknown) => void, reject });
      this.flushing ??= this.flush();
    });
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
            const result = change(this.db.data);
            this.changes++;
            settle.push(() => resolve(result));
          } catch (error) {
            settle.push(() => reject(error));
          }
        }
        try {
          await this.db.write();
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
}
