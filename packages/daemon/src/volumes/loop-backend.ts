import { mkdir, mkdtemp, readdir, rm, statfs, truncate } from "node:fs/promises";
import path from "node:path";
import { setTimeout } from "node:timers/promises";
import { ApiError } from "@minicloud/shared";
import { runHostCommand as run } from "../common/host-command.ts";
import { type VolumeBackend, type VolumeId, volumeDirectory } from "./backend.ts";
import { isMountPoint, mountsUnder } from "./host-commands.ts";

/** Mount options: no device files, no set-uid programs from a tenant's volume. */
const MOUNT_OPTIONS = "loop,nodev,nosuid";
/** How long an offline resize waits for its unmounted file system to be released everywhere. */
const RELEASE_WAIT_MS = 10_000;

/**
 * Each volume is an ext4 image file of exactly its size, sparse (it takes host disk only as it
 * fills), on a loop device mounted under the data dir. The container gets `<mount>/data`, so
 * ext4's lost+found stays out of the app's way (initdb refuses a non-empty directory).
 */
export class LoopBackend implements VolumeBackend {
  readonly enforcement = "hard" as const;
  private readonly dataDir: string;
  private readonly root: string;

  constructor(dataDir: string) {
    this.dataDir = dataDir;
    this.root = path.join(dataDir, "volumes");
  }

  private dir(id: VolumeId): string {
    return volumeDirectory(this.dataDir, id);
  }

  private image(id: VolumeId): string {
    return path.join(this.dir(id), "disk.ext4");
  }

  private mountPoint(id: VolumeId): string {
    return path.join(this.dir(id), "mnt");
  }

  dataPath(id: VolumeId): string {
    return path.join(this.mountPoint(id), "data");
  }

  async create(id: VolumeId, sizeBytes: number): Promise<void> {
    await mkdir(this.mountPoint(id), { recursive: true, mode: 0o700 });
    await truncate(this.image(id), 0).catch(() => undefined);
    await run("truncate", ["-s", String(sizeBytes), this.image(id)]);
    // No blocks reserved for root: a volume of 1g holds 1g of the app's data.
    await run("mkfs.ext4", ["-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1", this.image(id)]);
    await this.ensureMounted(id);
    await mkdir(this.dataPath(id), { recursive: true, mode: 0o755 });
  }

  async ensureMounted(id: VolumeId): Promise<void> {
    if (await isMountPoint(this.mountPoint(id))) return;
    await mkdir(this.mountPoint(id), { recursive: true, mode: 0o700 });
    await run("mount", ["-o", MOUNT_OPTIONS, this.image(id), this.mountPoint(id)]);
    // Direct I/O from the loop device to the image: buffered, every block is cached twice (the
    // volume's page cache and the image file's) and an fsync waits on both. A host file system
    // that refuses direct I/O keeps the buffered device.
    const device = (await run("findmnt", ["-n", "-o", "SOURCE", this.mountPoint(id)])).trim();
    await run("losetup", ["--direct-io=on", device]).catch(() => undefined);
  }

  async extend(id: VolumeId, sizeBytes: number, whileUnused: (work: () => Promise<void>) => Promise<void>): Promise<void> {
    await this.ensureMounted(id);
    const device = (await run("findmnt", ["-n", "-o", "SOURCE", this.mountPoint(id)])).trim();
    await run("truncate", ["-s", String(sizeBytes), this.image(id)]);
    // The loop device learns the file's new size, then ext4 grows online into it. Online growth
    // needs CAP_SYS_RESOURCE, which some hosts (containers) lack: then it grows unmounted.
    await run("losetup", ["-c", device]);
    try {
      await run("resize2fs", [device]);
    } catch (error) {
      if (!/Permission denied|Operation not permitted/.test((error as Error).message)) throw error;
      await whileUnused(async () => {
        await run("umount", [this.mountPoint(id)]);
        try {
          await this.released(id);
          await run("e2fsck", ["-f", "-p", this.image(id)]);
          await run("resize2fs", [this.image(id)]);
        } finally {
          // Mounted again whatever happened: the app starts again on its data, not on an empty mnt/.
          await this.ensureMounted(id);
        }
      });
    }
  }

  /**
   * Waits until no loop device holds the image: only then is the file system really gone. Our
   * umount removes this namespace's mount, but a mount namespace made while the volume was mounted
   * (a container being set up, `unshare`, `ip netns exec`) holds a copy that a private host root does
   * not take away, and keeps the file system live; e2fsck on its image then replays the journal
   * under it. Bounded: after RELEASE_WAIT_MS the resize is refused, the file system left as it was.
   */
  private async released(id: VolumeId): Promise<void> {
    const deadline = Date.now() + RELEASE_WAIT_MS;
    for (;;) {
      const devices = (await run("losetup", ["-l", "-n", "-O", "NAME", "-j", this.image(id)])).trim().split(/\s+/).filter(Boolean);
      if (devices.length === 0) return;
      if (Date.now() >= deadline) {
        throw new ApiError(
          "conflict",
          `volume ${id.name} was not resized: its file system is still in use outside minicloud after it was unmounted (${devices.join(", ")} still holds it: another mount namespace has a copy of the mount) — retry later`,
        );
      }
      await setTimeout(100);
    }
  }

  async remove(id: VolumeId): Promise<void> {
    for (const point of await mountsUnder(this.dir(id))) await run("umount", [point]);
    await rm(this.dir(id), { recursive: true, force: true });
  }

  async used(id: VolumeId): Promise<number | null> {
    if (!(await isMountPoint(this.mountPoint(id)))) return null;
    const stats = await statfs(this.mountPoint(id));
    return (stats.blocks - stats.bfree) * stats.bsize;
  }

  async chown(id: VolumeId, uid: number, gid: number): Promise<void> {
    await run("chown", ["-R", "-h", `${uid}:${gid}`, this.dataPath(id)]);
  }

  /**
   * Freezes the file system (writes wait; reads go on), copies the image file while nothing can
   * change it (sparse: only the blocks in use are written), thaws, then hands the copy, mounted
   * read-only, to `copy`. The pause is the length of one sparse file copy.
   */
  async withConsistentCopy<T>(id: VolumeId, copy: (dataDir: string) => Promise<T>): Promise<{ result: T; pauseMs: number }> {
    await this.ensureMounted(id);
    const scratch = await mkdtemp(path.join(this.dir(id), "copy-"));
    const frozenImage = path.join(scratch, "disk.ext4");
    const view = path.join(scratch, "mnt");
    try {
      const started = performance.now();
      await run("fsfreeze", ["--freeze", this.mountPoint(id)]);
      try {
        await run("cp", ["--sparse=always", this.image(id), frozenImage]);
      } finally {
        await run("fsfreeze", ["--unfreeze", this.mountPoint(id)]);
      }
      const pauseMs = Math.round(performance.now() - started);
      await mkdir(view);
      // The copy is clean (a frozen file system has no journal to replay): mount it as it is.
      await run("mount", ["-o", "loop,ro,noload,nodev,nosuid,noexec", frozenImage, view]);
      try {
        return { result: await copy(path.join(view, "data")), pauseMs };
      } finally {
        await run("umount", [view]);
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Thaws any volume left frozen by a daemon killed mid-snapshot, and drops half-made copies. */
  async recover(ids: VolumeId[]): Promise<void> {
    for (const id of ids) {
      if (await isMountPoint(this.mountPoint(id))) await run("fsfreeze", ["--unfreeze", this.mountPoint(id)]).catch(() => undefined);
    }
    for (const id of ids) {
      const entries = await readdir(this.dir(id)).catch(() => [] as string[]);
      for (const entry of entries.filter((e) => e.startsWith("copy-"))) {
        // A copy's view is <volume>/copy-*/mnt; a volume named copy-… is <tenant>/copy-…/mnt and stays mounted.
        const view = path.join(this.dir(id), entry, "mnt");
        if (await isMountPoint(view)) await run("umount", [view]).catch(() => undefined);
        await rm(path.join(this.dir(id), entry), { recursive: true, force: true });
      }
    }
  }

  async releaseAll(): Promise<void> {
    for (const point of await mountsUnder(this.root)) await run("umount", [point]).catch(() => undefined);
  }
}
