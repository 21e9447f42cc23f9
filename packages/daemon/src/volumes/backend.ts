import path from "node:path";

/**
 * Where a volume's bytes live and how its size holds. Two backings:
 * - `loop` (root on Linux): an ext4 image of exactly the volume's size on a loop device, so a full
 *   volume is ENOSPC in its container and nothing else is touched (hard);
 * - `dir` (no loop devices, not root): a plain directory, its size tracked and reported (soft).
 */
export interface VolumeBackend {
  readonly enforcement: "hard" | "soft";
  /** Makes the volume's storage and mounts it; `uid`/`gid` own its data directory. */
  create(id: VolumeId, sizeBytes: number): Promise<void>;
  /** Mounts it when it is not (after a reboot, say); idempotent. */
  ensureMounted(id: VolumeId): Promise<void>;
  /**
   * Grows it to `sizeBytes`, online when the host allows it; otherwise the file system is grown
   * unmounted, inside `whileUnused` (which stops the app that mounts it around the work).
   */
  extend(id: VolumeId, sizeBytes: number, whileUnused: (work: () => Promise<void>) => Promise<void>): Promise<void>;
  /** Unmounts and deletes it with its data. */
  remove(id: VolumeId): Promise<void>;
  /** Bytes in use, or null when it is not mounted. */
  used(id: VolumeId): Promise<number | null>;
  /** The host directory a container mounts: the data directory inside the volume. */
  dataPath(id: VolumeId): string;
  /** Makes the data directory belong to the user the container runs as. */
  chown(id: VolumeId, uid: number, gid: number): Promise<void>;
  /**
   * Runs `copy` with a consistent view of the data: writes are held (the file system is frozen)
   * for as short as the backing allows; returns how long they were held. `copy` gets a directory
   * holding the data as it was at that instant, valid until it returns.
   */
  withConsistentCopy<T>(id: VolumeId, copy: (dataDir: string) => Promise<T>): Promise<{ result: T; pauseMs: number }>;
  /** Unmounts every volume of this daemon's data dir (tests and `stop --all` style cleanup). */
  releaseAll?(): Promise<void>;
}

/** `<data dir>/volumes/<tenant>/<volume>`: everything of one volume (its storage, its snapshots). */
export function volumeDirectory(dataDir: string, id: VolumeId): string {
  return path.join(dataDir, "volumes", id.tenant, id.name);
}

export interface VolumeId {
  tenant: string;
  name: string;
}
