import { existsSync } from "node:fs";
import { mkdir, readdir, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";

/** Processes all of one tenant's running builds may hold together (their RUN steps and what those start). */
export const BUILD_PIDS = 512;

const CGROUP_ROOT = "/sys/fs/cgroup";

/**
 * The legacy builder's API has no pids limit, but it takes a cgroup parent for its RUN containers.
 * With the engine's `cgroupfs` driver on this host, each tenant's builds run under
 * `/<prefix>-builds/<tenant>`, whose `pids.max` the daemon sets before the build: the kernel
 * enforces it for root in the container too (unlike RLIMIT_NPROC). The directories are removed
 * when the tenant's last running build ends. With the systemd driver, cgroup v2 (not handled yet),
 * a daemon that may not write the cgroup file system, or a remote engine,
 * there is no such limit (the parent is undefined).
 */
export class BuildCgroups {
  private readonly prefix: string;
  private readonly driver: () => Promise<string | undefined>;
  private readonly running = new Map<string, number>();

  constructor(prefix: string, driver: () => Promise<string | undefined>) {
    this.prefix = prefix;
    this.driver = driver;
  }

  /** The cgroup parent for one build of the tenant, limited; call `release` when the build ends. */
  async acquire(tenant: string): Promise<{ parent: string | undefined; release: () => Promise<void> }> {
    const pidsDir = await this.pidsDir();
    if (!pidsDir) return { parent: undefined, release: async () => undefined };
    const relative = path.join(`${this.prefix}-builds`, tenant);
    this.running.set(tenant, (this.running.get(tenant) ?? 0) + 1);
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      const left = (this.running.get(tenant) ?? 1) - 1;
      if (left > 0) {
        this.running.set(tenant, left);
        return;
      }
      this.running.delete(tenant);
      // The engine removes the step's container (and its cgroup) a moment after an aborted build.
      void removeEventually(relative, () => this.running.has(tenant));
    };
    try {
      await mkdir(path.join(pidsDir, relative), { recursive: true });
      await writeFile(path.join(pidsDir, relative, "pids.max"), String(BUILD_PIDS));
    } catch {
      // Not root (no write access to the cgroup file system): the build runs without the limit.
      await release();
      return { parent: undefined, release: async () => undefined };
    }
    return { parent: `/${relative}`, release };
  }

  /** The pids controller's directory where the engine's cgroupfs driver makes the builds' cgroups. */
  private async pidsDir(): Promise<string | undefined> {
    if ((await this.driver()) !== "cgroupfs") return undefined;
    // cgroup v1: the pids controller has its own hierarchy.
    const dir = path.join(CGROUP_ROOT, "pids");
    return existsSync(path.join(dir, "cgroup.procs")) ? dir : undefined;
  }
}

/** Tries to remove the tenant's cgroups for about half a minute, unless a new build of the tenant started. */
async function removeEventually(relative: string, inUse: () => boolean): Promise<void> {
  for (let attempt = 1; attempt <= 12 && !inUse(); attempt++) {
    if (await removeEverywhere(relative)) return;
    await new Promise((resolve) => setTimeout(resolve, 250 * attempt).unref());
  }
}

/**
 * The engine makes the parent in every controller (cgroup v1): removes the tenant's and, when
 * empty, the prefix's. True when the tenant's are gone everywhere.
 */
async function removeEverywhere(relative: string): Promise<boolean> {
  const controllers = await readdir(CGROUP_ROOT).catch(() => [] as string[]);
  let gone = true;
  for (const controller of controllers) {
    const dir = path.join(CGROUP_ROOT, controller, relative);
    try {
      await rmdir(dir);
    } catch (error) {
      // Busy: a container is still in it (try again); missing: nothing to do.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") gone = false;
    }
    await rmdir(path.dirname(dir)).catch(() => undefined);
  }
  return gone;
}
