import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { runHostCommand as run } from "../common/host-command.ts";
import { type VolumeBackend, type VolumeId, volumeDirectory } from "./backend.ts";

/**
 * Where there are no loop devices (not root, not Linux): a plain directory per volume. Its size is
 * reserved against the quota and its use reported, but nothing stops a write past it (soft);
 * snapshots copy it as it is, without holding writes (not crash-consistent). docs/storage.md says so.
 */
export class DirBackend implements VolumeBackend {
  readonly enforcement = "soft" as const;
  private readonly dataDir: string;

  constructor(dataDir: string) {
    this.dataDir = dataDir;
  }

  private dir(id: VolumeId): string {
    return volumeDirectory(this.dataDir, id);
  }

  dataPath(id: VolumeId): string {
    return path.join(this.dir(id), "data");
  }

  async create(id: VolumeId): Promise<void> {
    await mkdir(this.dataPath(id), { recursive: true, mode: 0o755 });
  }

  async ensureMounted(id: VolumeId): Promise<void> {
    await mkdir(this.dataPath(id), { recursive: true, mode: 0o755 });
  }

  async extend(): Promise<void> {
    // Nothing to grow: the new size is only a number.
  }

  async remove(id: VolumeId): Promise<void> {
    await rm(this.dir(id), { recursive: true, force: true });
  }

  async used(id: VolumeId): Promise<number | null> {
    const out = await run("du", ["-sb", this.dataPath(id)]).catch(() => undefined);
    return out === undefined ? null : Number(out.split("\t")[0]);
  }

  async chown(id: VolumeId, uid: number, gid: number): Promise<void> {
    await run("chown", ["-R", "-h", `${uid}:${gid}`, this.dataPath(id)]).catch(() => undefined);
  }

  async withConsistentCopy<T>(id: VolumeId, copy: (dataDir: string) => Promise<T>): Promise<{ result: T; pauseMs: number }> {
    return { result: await copy(this.dataPath(id)), pauseMs: 0 };
  }
}
