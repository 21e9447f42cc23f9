import { chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_QUOTA } from "@minicloud/shared";
import { Low } from "lowdb";
import { JSONFile } from "lowdb/node";
import { Serial } from "../common/keyed-mutex.ts";
import { emptyState, STATE_VERSION, type State } from "./schema.ts";

/**
 * The only code that touches persisted state. lowdb writes through a temp file and a rename, so a
 * crash leaves either the old or the new file; writes are serialised so no update is lost.
 */
export class Store {
  private readonly db: Low<State>;
  private readonly writes = new Serial();

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
    return this.writes.run(async () => {
      const result = change(this.db.data);
      this.changes++;
      await this.db.write();
      return result;
    });
  }
}
