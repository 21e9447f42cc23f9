import { stat } from "node:fs/promises";
import { ApiError, formatBytes, type QuotaLimits, type Volume, type VolumeMount } from "@minicloud/shared";
import type { Logger } from "pino";
import type { KeyedMutex } from "../common/keyed-mutex.ts";
import type { EventBus } from "../events/bus.ts";
import { type MeasuredStorage, storageOf } from "../quota/usage.ts";
import type { AppRecord, State, VolumeRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import type { VolumeBackend } from "./backend.ts";

export interface VolumeServiceDeps {
  store: Store;
  backend: VolumeBackend;
  tenantLocks: KeyedMutex;
  quotaOf: (tenant: string) => QuotaLimits;
  events: EventBus;
  logger: Logger;
  /** Stops and starts the app that mounts a volume (bound late: apps need volumes first). */
  apps: () => AppControl;
  /** What writable root filesystems hold, last sampled: storage too. */
  measured?: MeasuredStorage | undefined;
}

/** Stops and starts an app around work on its volume. */
export interface AppControl {
  stop(tenant: string, app: string): Promise<void>;
  start(tenant: string, app: string): Promise<void>;
}

/** A container mount the runtime makes: the volume's data directory on the host, at `target`. */
export interface HostMount {
  source: string;
  target: string;
}

export function findVolume(state: Readonly<State>, tenant: string, name: string): VolumeRecord | undefined {
  return state.volumes.find((v) => v.tenant === tenant && v.name === name);
}

/** The volume within the tenant; another tenant's is as unknown as a missing one. */
export function requireVolume(state: Readonly<State>, tenant: string, name: string): VolumeRecord {
  const volume = findVolume(state, tenant, name);
  if (!volume) throw new ApiError("not_found", `volume ${name} not found in tenant ${tenant} — see \`mc volumes list\``);
  return volume;
}

/** The app that mounts the volume (its running release, or a deploy in flight), if any. */
export function attachmentOf(state: Readonly<State>, tenant: string, name: string): { app: AppRecord; path: string } | undefined {
  for (const app of state.apps) {
    if (app.tenant !== tenant) continue;
    for (const spec of [app.spec, app.operation?.spec]) {
      const mount = spec?.volumes?.find((v) => v.name === name);
      if (mount) return { app, path: mount.path };
    }
  }
  return undefined;
}

/**
 * Tenant volumes: created at a size that holds (see backend.ts), reserved against the storage
 * quota under the tenant's lock, mounted by one app at a time, grown online, deleted only when
 * no app mounts them.
 */
export class VolumeService {
  private readonly deps: VolumeServiceDeps;

  constructor(deps: VolumeServiceDeps) {
    this.deps = deps;
  }

  get backend(): VolumeBackend {
    return this.deps.backend;
  }

  /** The apps that mount volumes, to stop and start them around a restore or an offline resize. */
  apps(): AppControl {
    return this.deps.apps();
  }

  /** Checks the quota for `extraBytes` more storage; call under the tenant lock. */
  assertStorage(tenant: string, extraBytes: number, excludeVolume?: string, replacing = 0): void {
    const limit = this.deps.quotaOf(tenant).maxStorage;
    const writable = this.deps.measured?.bytesOf(tenant) ?? 0;
    const used = storageOf(this.deps.store.state, tenant, excludeVolume) + replacing + writable;
    if (used + extraBytes > limit) {
      const layers = writable ? `, writable root filesystems ${formatBytes(writable)}` : "";
      throw new ApiError(
        "quota_exceeded",
        `quota exceeded for storage in tenant ${tenant}: volumes and snapshots hold ${formatBytes(used - writable)}${layers}, this needs ${formatBytes(extraBytes)} more, the limit is ${formatBytes(limit)} — delete volumes or snapshots (mc volumes delete / mc volumes snapshots delete) or ask an admin to raise it (mc tenants quota --max-storage)`,
      );
    }
  }

  /**
   * Reserves the name and the size, then makes the storage; a failure half-way removes what was
   * made and releases the reservation. `fill` (an import, a fork) runs before the volume is ready.
   */
  async create(tenant: string, name: string, size: number, fill?: (dataDir: string) => Promise<void>): Promise<Volume> {
    const { store, tenantLocks } = this.deps;
    const record = await tenantLocks.run(tenant, async () => {
      if (findVolume(store.state, tenant, name)) throw new ApiError("conflict", `volume ${name} already exists in tenant ${tenant}`);
      this.assertStorage(tenant, size);
      const record: VolumeRecord = {
        tenant,
        name,
        size,
        phase: fill ? "importing" : "creating",
        createdAt: new Date().toISOString(),
        snapshots: [],
        schedule: null,
      };
      // The record in the state, so the store sees every later change to it.
      return store.update((state) => {
        state.volumes.push(record);
        return state.volumes.at(-1) ?? record;
      });
    });
    try {
      await this.deps.backend.create(record, size);
      if (fill) await fill(this.deps.backend.dataPath(record));
    } catch (error) {
      await this.forget(record);
      throw error;
    }
    await store.update(() => {
      record.phase = "ready";
    });
    this.deps.events.publish({
      tenant,
      app: undefined,
      type: "volume.created",
      message: `volume ${name} created: ${formatBytes(size)} (${this.deps.backend.enforcement} limit)`,
      data: { volume: name, size },
    });
    return this.view(record);
  }

  /** Removes a volume's storage and record (its snapshots' files go with its directory). */
  private async forget(record: VolumeRecord): Promise<void> {
    await this.deps.backend
      .remove(record)
      .catch((error) => this.deps.logger.warn({ err: error, volume: record.name }, "removing a volume failed"));
    await this.deps.store.update((state) => {
      state.volumes = state.volumes.filter((v) => v !== record);
    });
  }

  async list(tenant: string): Promise<Volume[]> {
    return Promise.all(this.deps.store.state.volumes.filter((v) => v.tenant === tenant).map((v) => this.view(v)));
  }

  async get(tenant: string, name: string): Promise<Volume> {
    return this.view(requireVolume(this.deps.store.state, tenant, name));
  }

  /**
   * Grows a volume (online where the host allows it, else with its app stopped for the resize);
   * shrinking is refused: data could be lost. The new size is reserved under the tenant lock, the
   * resize runs outside it (stopping the app takes that lock too) and a failure gives it back.
   */
  async extend(tenant: string, name: string, size: number): Promise<Volume> {
    const { record, previous } = await this.deps.tenantLocks.run(tenant, async () => {
      const record = requireReady(this.deps.store.state, tenant, name);
      if (size <= record.size) {
        throw new ApiError(
          "invalid_input",
          `size: volumes only grow — ${name} is ${formatBytes(record.size)}; give a larger size (to shrink, create a smaller volume and import an export)`,
          [{ field: "size", message: "must be larger than the volume's current size" }],
        );
      }
      this.assertStorage(tenant, size - record.size);
      const previous = record.size;
      await this.deps.store.update(() => {
        record.size = size;
      });
      return { record, previous };
    });
    try {
      await this.deps.backend.extend(record, size, (work) => this.withAppStopped(record, work));
    } catch (error) {
      await this.deps.store.update(() => {
        record.size = previous;
      });
      throw error;
    }
    this.deps.events.publish({
      tenant,
      type: "volume.extended",
      message: `volume ${name} extended to ${formatBytes(size)}`,
      data: { volume: name, size },
    });
    return this.view(record);
  }

  async delete(tenant: string, name: string): Promise<void> {
    await this.deps.tenantLocks.run(tenant, async () => {
      const record = requireVolume(this.deps.store.state, tenant, name);
      const attached = attachmentOf(this.deps.store.state, tenant, name);
      if (attached) {
        throw new ApiError(
          "conflict",
          `volume ${name} is mounted by app ${attached.app.name} at ${attached.path} — destroy the app, or redeploy it without the volume, first`,
        );
      }
      await this.forget(record);
    });
    this.deps.events.publish({ tenant, type: "volume.deleted", message: `volume ${name} deleted`, data: { volume: name } });
  }

  /** Runs `work` with the app that mounts the volume stopped (if it runs), and starts it again after. */
  async withAppStopped(record: VolumeRecord, work: () => Promise<void>): Promise<void> {
    const attached = attachmentOf(this.deps.store.state, record.tenant, record.name);
    const running = attached?.app.desired === "running" ? attached.app.name : undefined;
    if (running) await this.deps.apps().stop(record.tenant, running);
    try {
      await work();
    } finally {
      if (running) await this.deps.apps().start(record.tenant, running);
    }
  }

  /** Deletes every volume of a tenant (tenant deletion; its apps are gone by then). */
  async deleteAllOf(tenant: string): Promise<void> {
    for (const record of this.deps.store.state.volumes.filter((v) => v.tenant === tenant)) await this.forget(record);
  }

  /**
   * Checks a deploy's volumes: they exist in the tenant and are ready, no other app mounts them,
   * and an app with a volume runs one instance (a volume is read-write by one container).
   */
  check(tenant: string, app: string, volumes: VolumeMount[] | undefined, count: number): void {
    if (!volumes || volumes.length === 0) return;
    if (count > 1) {
      throw new ApiError(
        "invalid_input",
        `count: an app with a volume runs one instance (a volume is read-write by one container at a time); ${app} asks for ${count}`,
        [{ field: "count", message: "must be 0 or 1 for an app with volumes" }],
      );
    }
    for (const mount of volumes) {
      requireReady(this.deps.store.state, tenant, mount.name);
      const attached = attachmentOf(this.deps.store.state, tenant, mount.name);
      if (attached && attached.app.name !== app) {
        throw new ApiError(
          "conflict",
          `volume ${mount.name} is mounted by app ${attached.app.name}; a volume belongs to one app at a time`,
        );
      }
    }
  }

  /** The host mounts for a container (volumes mounted first when they are not). */
  async hostMounts(tenant: string, volumes: VolumeMount[] | undefined): Promise<HostMount[]> {
    const mounts: HostMount[] = [];
    for (const mount of volumes ?? []) {
      const record = requireVolume(this.deps.store.state, tenant, mount.name);
      await this.deps.backend.ensureMounted(record);
      mounts.push({ source: this.deps.backend.dataPath(record), target: mount.path });
    }
    return mounts;
  }

  /**
   * Gives the data to the user the app's image runs as, when it belongs to someone else (a new
   * volume, an import, another image): checked on every deploy, changed only then.
   */
  async chownFor(tenant: string, volumes: VolumeMount[] | undefined, owner: { uid: number; gid: number }): Promise<void> {
    for (const mount of volumes ?? []) {
      const record = requireVolume(this.deps.store.state, tenant, mount.name);
      const current = await this.ownerOf(record);
      if (current.uid !== owner.uid || current.gid !== owner.gid) await this.deps.backend.chown(record, owner.uid, owner.gid);
    }
  }

  /** Who owns the volume's data now (files unpacked into it are given to the same user). */
  async ownerOf(record: VolumeRecord): Promise<{ uid: number; gid: number }> {
    const info = await stat(this.deps.backend.dataPath(record));
    return { uid: info.uid, gid: info.gid };
  }

  /** At start, before any app starts: every volume mounted again (after a reboot, the loop mounts are gone). */
  async mountAll(): Promise<void> {
    for (const record of this.deps.store.state.volumes) {
      if (record.phase === "creating" || record.phase === "importing") {
        // Cut short by a crash: what was being made is removed and its reservation released.
        this.deps.logger.warn({ tenant: record.tenant, volume: record.name, phase: record.phase }, "removing a volume left half-made");
        await this.forget(record);
        continue;
      }
      await this.deps.backend
        .ensureMounted(record)
        .catch((error) => this.deps.logger.error({ err: error, tenant: record.tenant, volume: record.name }, "mounting a volume failed"));
    }
  }

  async view(record: VolumeRecord): Promise<Volume> {
    const attached = attachmentOf(this.deps.store.state, record.tenant, record.name);
    const last = record.snapshots.at(-1);
    return {
      name: record.name,
      tenant: record.tenant,
      size: record.size,
      used: record.phase === "ready" ? await this.deps.backend.used(record).catch(() => null) : null,
      enforcement: this.deps.backend.enforcement,
      attachedTo: attached ? { app: attached.app.name, path: attached.path } : null,
      state: record.phase,
      snapshots: record.snapshots.length,
      snapshotBytes: record.snapshots.reduce((sum, s) => sum + s.bytes, 0),
      lastSnapshotAt: last?.createdAt ?? null,
      schedule: record.schedule ? { ...record.schedule, nextRunAt: this.nextRunOf?.(record) ?? null } : null,
      createdAt: record.createdAt,
    };
  }

  /** Set by the scheduler: when a volume's schedule runs next. */
  nextRunOf: ((record: VolumeRecord) => string | null) | undefined;
}

export function requireReady(state: Readonly<State>, tenant: string, name: string): VolumeRecord {
  const record = requireVolume(state, tenant, name);
  if (record.phase !== "ready") throw new ApiError("conflict", `volume ${name} is ${record.phase} — retry when that has finished`);
  return record;
}
