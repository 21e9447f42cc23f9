import { randomBytes } from "node:crypto";
import { mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { ApiError, formatBytes, type Snapshot } from "@minicloud/shared";
import type { Logger } from "pino";
import type { KeyedMutex } from "../common/keyed-mutex.ts";
import type { EventBus } from "../events/bus.ts";
import type { SnapshotRecord, VolumeRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import { emptyDirectory, extractArchive, packDirectory, readArchive, writeArchive } from "./archive.ts";
import { type VolumeId, volumeDirectory } from "./backend.ts";
import { attachmentOf, requireReady, requireVolume, type VolumeService } from "./service.ts";

export interface SnapshotsDeps {
  store: Store;
  volumes: VolumeService;
  tenantLocks: KeyedMutex;
  events: EventBus;
  dataDir: string;
  logger: Logger;
  /** Who the files inside a volume belong to when unpacked: the app's user, else root. */
  ownerOf: (volume: VolumeRecord) => Promise<{ uid: number; gid: number }>;
}

const newSnapshotId = () => `${new Date().toISOString().replace(/[-:]/g, "").slice(0, 15)}-${randomBytes(2).toString("hex")}`;

/**
 * Point-in-time copies of a volume as compressed archives next to it: taken while the app runs
 * (writes held for the copy of its file system only), listed once complete, restored in place
 * (the app stopped around it, a safety snapshot first), forked into a new volume, exported, pruned.
 */
export class Snapshots {
  private readonly deps: SnapshotsDeps;
  /** One snapshot, restore or export of a volume at a time. */
  private readonly busy = new Set<string>();

  constructor(deps: SnapshotsDeps) {
    this.deps = deps;
  }

  private file(id: VolumeId, snapshot: string): string {
    return path.join(volumeDirectory(this.deps.dataDir, id), "snapshots", `${snapshot}.tar.zst`);
  }

  private async exclusive<T>(record: VolumeRecord, work: () => Promise<T>): Promise<T> {
    const key = `${record.tenant}/${record.name}`;
    if (this.busy.has(key))
      throw new ApiError("conflict", `volume ${record.name} is being snapshotted or restored — retry when that has finished`);
    this.busy.add(key);
    try {
      return await work();
    } finally {
      this.busy.delete(key);
    }
  }

  list(tenant: string, name: string): Snapshot[] {
    const record = requireVolume(this.deps.store.state, tenant, name);
    return record.snapshots.map((s) => toSnapshot(record, s));
  }

  async take(tenant: string, name: string, kind: SnapshotRecord["kind"], note: string | null = null): Promise<Snapshot> {
    const record = requireReady(this.deps.store.state, tenant, name);
    return this.exclusive(record, () => this.takeUnlocked(record, kind, note));
  }

  private async takeUnlocked(record: VolumeRecord, kind: SnapshotRecord["kind"], note: string | null): Promise<Snapshot> {
    // A tenant at its storage limit gets no new snapshot (its size is only known once it is made).
    await this.deps.tenantLocks.run(record.tenant, async () => this.deps.volumes.assertStorage(record.tenant, 1));
    const id = newSnapshotId();
    const file = this.file(record, id);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const started = performance.now();
    let bytes: number;
    let pauseMs: number;
    try {
      ({ result: bytes, pauseMs } = await this.deps.volumes.backend.withConsistentCopy(record, (data) => writeArchive(data, file)));
    } catch (error) {
      await rm(file, { force: true });
      await rm(`${file}.partial`, { force: true });
      throw error;
    }
    const snapshot: SnapshotRecord = { id, createdAt: new Date().toISOString(), bytes, kind, note, pauseMs };
    try {
      await this.deps.tenantLocks.run(record.tenant, async () => {
        this.deps.volumes.assertStorage(record.tenant, bytes);
        await this.deps.store.update(() => {
          record.snapshots.push(snapshot);
        });
      });
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    this.deps.logger.info(
      { tenant: record.tenant, volume: record.name, snapshot: id, bytes, pauseMs, ms: Math.round(performance.now() - started) },
      "snapshot taken",
    );
    this.deps.events.publish({
      tenant: record.tenant,
      app: attachmentOf(this.deps.store.state, record.tenant, record.name)?.app.name,
      type: "volume.snapshot_created",
      message: `snapshot ${id} of ${record.name} taken (${kind}): ${formatBytes(bytes)}, writes held ${pauseMs} ms`,
      data: { volume: record.name, snapshot: id, kind, bytes, pauseMs },
    });
    return toSnapshot(record, snapshot);
  }

  async delete(tenant: string, name: string, snapshotId: string): Promise<void> {
    const record = requireVolume(this.deps.store.state, tenant, name);
    const snapshot = requireSnapshot(record, snapshotId);
    await this.deps.store.update(() => {
      record.snapshots = record.snapshots.filter((s) => s !== snapshot);
    });
    await rm(this.file(record, snapshot.id), { force: true });
  }

  /** Keeps the newest `keep` snapshots of a kind; older ones are deleted. */
  async prune(record: VolumeRecord, kind: SnapshotRecord["kind"], keep: number): Promise<string[]> {
    const ofKind = record.snapshots.filter((s) => s.kind === kind);
    const doomed = ofKind.slice(0, Math.max(0, ofKind.length - keep));
    for (const snapshot of doomed) await this.delete(record.tenant, record.name, snapshot.id);
    return doomed.map((s) => s.id);
  }

  /**
   * Brings the volume back to a snapshot in place: a safety snapshot of the current data first
   * (listed, so the restore itself can be undone), the app stopped, the data replaced, the app
   * started again. The record says a restore is under way (and which app to start again) before
   * the app is stopped, so a daemon killed at any point after that finishes it at start instead of
   * leaving the app stopped, or half the files.
   */
  async restore(tenant: string, name: string, snapshotId: string): Promise<{ safety: Snapshot }> {
    const record = requireReady(this.deps.store.state, tenant, name);
    const target = requireSnapshot(record, snapshotId);
    return this.exclusive(record, async () => {
      const safety = await this.takeUnlocked(record, "safety", `before restoring ${target.id}`);
      const attached = attachmentOf(this.deps.store.state, tenant, name);
      const wasRunning = attached?.app.desired === "running";
      await this.deps.store.update(() => {
        record.phase = "restoring";
        record.restoring = { snapshot: target.id, app: wasRunning ? (attached?.app.name ?? null) : null };
      });
      await this.finishRestore(record);
      this.deps.events.publish({
        tenant,
        app: attached?.app.name,
        type: "volume.restored",
        message: `volume ${name} restored to snapshot ${target.id} (safety snapshot ${safety.id})`,
        data: { volume: name, snapshot: target.id, safety: safety.id },
      });
      return { safety };
    });
  }

  /**
   * Stops the app (again after a crash: it may not have been stopped yet), replaces the data with
   * the snapshot's, and starts the app again.
   */
  private async finishRestore(record: VolumeRecord): Promise<void> {
    const restoring = record.restoring;
    if (!restoring) return;
    if (restoring.app) {
      try {
        await this.deps.volumes.apps().stop(record.tenant, restoring.app);
      } catch (error) {
        // Nothing is touched yet: the volume stays as it was, the restore can be asked for again.
        await this.deps.store.update(() => {
          record.phase = "ready";
          record.restoring = undefined;
        });
        throw error;
      }
    }
    const data = this.deps.volumes.backend.dataPath(record);
    await this.deps.volumes.backend.ensureMounted(record);
    await emptyDirectory(data);
    await extractArchive(
      readArchive(this.file(record, restoring.snapshot)),
      data,
      Number.MAX_SAFE_INTEGER,
      await this.deps.ownerOf(record),
    );
    await this.deps.store.update(() => {
      record.phase = "ready";
      record.restoring = undefined;
    });
    if (restoring.app) await this.deps.volumes.apps().start(record.tenant, restoring.app);
  }

  /** A new volume, the size of the snapshot's, holding the snapshot's data. */
  async fork(tenant: string, snapshotId: string, newName: string) {
    const source = this.deps.store.state.volumes.find((v) => v.tenant === tenant && v.snapshots.some((s) => s.id === snapshotId));
    if (!source)
      throw new ApiError("not_found", `snapshot ${snapshotId} not found in tenant ${tenant} — see \`mc volumes snapshots NAME\``);
    const file = this.file(source, snapshotId);
    const owner = await this.deps.ownerOf(source);
    return this.deps.volumes.create(tenant, newName, source.size, (data) => extractArchive(readArchive(file), data, source.size, owner));
  }

  /** A volume from an exported archive; `size` is reserved before a byte is read, and bounds what it unpacks. */
  async import(tenant: string, name: string, size: number, body: Readable) {
    return this.deps.volumes.create(tenant, name, size, (data) => extractArchive(body, data, size, { uid: 0, gid: 0 }));
  }

  /**
   * `NAME`: a consistent copy of the volume now, streamed as it is packed; a snapshot id: that
   * snapshot's file as it is. Either way a .tar.zst that `import` (or `tar --zstd -x`) takes.
   */
  async export(tenant: string, nameOrSnapshot: string): Promise<Readable> {
    const bySnapshot = this.deps.store.state.volumes.find((v) => v.tenant === tenant && v.snapshots.some((s) => s.id === nameOrSnapshot));
    if (bySnapshot) return readArchive(this.file(bySnapshot, nameOrSnapshot));
    const record = requireReady(this.deps.store.state, tenant, nameOrSnapshot);
    // The copy must stay mounted while the client reads: the stream's end releases it.
    return new Promise<Readable>((resolve, reject) => {
      this.exclusive(record, () =>
        this.deps.volumes.backend.withConsistentCopy(record, async (data) => {
          const stream = await packDirectory(data);
          resolve(stream);
          await new Promise<void>((done) => {
            stream.once("close", done);
            stream.once("end", done);
            stream.once("error", () => done());
          });
        }),
      ).catch(reject);
    });
  }

  /** At start: finish restores cut short, drop snapshot files no record lists (a crash before it was listed). */
  async recover(): Promise<void> {
    for (const record of this.deps.store.state.volumes) {
      const dir = path.join(volumeDirectory(this.deps.dataDir, record), "snapshots");
      const listed = new Set(record.snapshots.map((s) => `${s.id}.tar.zst`));
      for (const file of await readdir(dir).catch(() => [] as string[])) {
        if (!listed.has(file)) await rm(path.join(dir, file), { force: true });
      }
      if (record.phase === "restoring") {
        this.deps.logger.warn(
          { tenant: record.tenant, volume: record.name, snapshot: record.restoring?.snapshot },
          "finishing an interrupted restore",
        );
        await this.finishRestore(record).catch((error) =>
          this.deps.logger.error({ err: error, volume: record.name }, "finishing a restore failed"),
        );
      }
    }
  }
}

function requireSnapshot(record: VolumeRecord, id: string): SnapshotRecord {
  const snapshot = record.snapshots.find((s) => s.id === id);
  if (!snapshot)
    throw new ApiError("not_found", `snapshot ${id} of volume ${record.name} not found — see \`mc volumes snapshots ${record.name}\``);
  return snapshot;
}

function toSnapshot(record: VolumeRecord, snapshot: SnapshotRecord): Snapshot {
  return { ...snapshot, volume: record.name };
}
