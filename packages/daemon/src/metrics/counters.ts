/** What the host's kernel counts for one container, read in one pass without asking the engine. */
export interface ContainerCounters {
  /** CPU time used since the container started, in seconds (a counter). */
  cpuSeconds: number;
  /** Memory in use minus inactive file cache: what the kernel cannot drop (cAdvisor's working set). */
  memoryWorkingSetBytes: number;
  /** The memory limit; null when unlimited. */
  memoryLimitBytes: number | null;
  /** Processes in the container now. */
  pids: number;
  /** Bytes received and sent on its interfaces (loopback left out), since it started (counters). */
  networkRxBytes: number;
  networkTxBytes: number;
}

/**
 * The seam between the sampler and the host it reads from (like runtime/ for the engine): the
 * cgroup files of the engine's containers and /proc of their first process. `pid` is the
 * container's first process on the host, for its network namespace's counters.
 */
export interface CounterSource {
  /** Which layout it reads, for the logs and docs (e.g. "cgroup v1 (cgroupfs)"). */
  readonly layout: string;
  /** Undefined when the container is gone (its cgroup removed) or cannot be read. */
  read(containerId: string, pid: number | null): Promise<ContainerCounters | undefined>;
}
