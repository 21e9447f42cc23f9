import { access, constants } from "node:fs/promises";
import type { QuotaLimits } from "@minicloud/shared";
import type { Logger } from "pino";
import type { AppVolumes } from "../apps/volumes-port.ts";
import type { AuditLog } from "../audit/log.ts";
import type { KeyedMutex } from "../common/keyed-mutex.ts";
import type { EventBus } from "../events/bus.ts";
import type { MeasuredStorage } from "../quota/usage.ts";
import type { Runtime } from "../runtime/runtime.ts";
import type { Store } from "../store/store.ts";
import { appVolumes } from "./app-volumes.ts";
import type { VolumeBackend } from "./backend.ts";
import { DirBackend } from "./dir-backend.ts";
import { LoopBackend } from "./loop-backend.ts";
import { VolumeSchedules } from "./schedules.ts";
import { type AppControl, VolumeService } from "./service.ts";
import { Snapshots } from "./snapshots.ts";

export interface StorageDeps {
  dataDir: string;
  backend: "auto" | "loop" | "dir";
  store: Store;
  runtime: Runtime;
  tenantLocks: KeyedMutex;
  quotaOf: (tenant: string) => QuotaLimits;
  events: EventBus;
  auditLog: AuditLog;
  logger: Logger;
  /** Stops and starts apps around a restore (bound late: apps need volumes first). */
  apps: () => AppControl;
  /** What writable root filesystems hold, last sampled: counted in volume checks. */
  measured?: MeasuredStorage | undefined;
}

/** Loop-backed volumes where they can be made (root, loop devices, mkfs.ext4), plain directories elsewhere. */
async function chooseBackend(kind: StorageDeps["backend"], dataDir: string): Promise<VolumeBackend> {
  if (kind === "dir") return new DirBackend(dataDir);
  const usable =
    process.platform === "linux" &&
    process.getuid?.() === 0 &&
    (await access("/dev/loop-control", constants.W_OK).then(
      () => true,
      () => false,
    ));
  if (!usable && kind === "loop") throw new Error("MC_VOLUME_BACKEND=loop needs root and loop devices (/dev/loop-control)");
  return usable ? new LoopBackend(dataDir) : new DirBackend(dataDir);
}

export interface Storage {
  volumes: VolumeService;
  snapshots: Snapshots;
  schedules: VolumeSchedules;
  forApps: AppVolumes;
  /** Before any app starts: settle what a crash cut short, mount every volume. */
  recover(): Promise<void>;
  /** After recovery: schedules run. */
  start(): void;
  stop(): void;
}

export async function createStorage(deps: StorageDeps): Promise<Storage> {
  const backend = await chooseBackend(deps.backend, deps.dataDir);
  const volumes = new VolumeService({ ...deps, backend });
  const snapshots = new Snapshots({ ...deps, volumes, ownerOf: (record) => volumes.ownerOf(record) });
  const schedules = new VolumeSchedules({ ...deps, snapshots });
  volumes.nextRunOf = (record) => schedules.nextRunOf(record);
  deps.logger.info({ backend: backend.enforcement === "hard" ? "loop" : "dir" }, "volumes");
  return {
    volumes,
    snapshots,
    schedules,
    forApps: appVolumes(volumes, deps.runtime),
    async recover() {
      if (backend instanceof LoopBackend) await backend.recover(deps.store.state.volumes);
      await volumes.mountAll();
      await snapshots.recover();
    },
    start: () => schedules.start(),
    stop: () => schedules.stop(),
  };
}
