import { LABEL, objectName, ownedLabels } from "./labels.ts";
import type { InstanceSpec } from "./runtime.ts";

export const PIDS_LIMIT = 256;
export const TMPFS_SIZE = "64m";

/** The subset of Docker's create-container body that minicloud ever sends. */
export interface ContainerCreateBody {
  name: string;
  Image: string;
  Env: string[];
  Cmd?: string[];
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, object>;
  HostConfig: {
    NetworkMode: string;
    Dns: string[];
    Memory: number;
    MemorySwap: number;
    NanoCpus: number;
    PidsLimit: number;
    CapDrop: string[];
    SecurityOpt: string[];
    ReadonlyRootfs: boolean;
    Tmpfs: Record<string, string>;
    Mounts?: { Type: "bind"; Source: string; Target: string; ReadOnly: false; BindOptions: { Propagation: "rprivate" } }[];
    Privileged: false;
    Init: boolean;
    RestartPolicy: { Name: string };
    LogConfig: { Type: string; Config: Record<string, string> };
  };
}

/**
 * Translates a validated instance spec into a hardened container: pure, so the security baseline is
 * unit-tested without an engine. Nothing from the user reaches HostConfig except through these fields.
 */
export function containerConfig(prefix: string, spec: InstanceSpec): ContainerCreateBody {
  const portKey = spec.port === null ? undefined : `${spec.port}/tcp`;
  return {
    name: objectName(prefix, spec.tenant, spec.app, spec.instanceId),
    Image: spec.image,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    ...(spec.command ? { Cmd: spec.command } : {}),
    Labels: ownedLabels(prefix, { [LABEL.tenant]: spec.tenant, [LABEL.app]: spec.app, [LABEL.instance]: spec.instanceId }),
    ...(portKey ? { ExposedPorts: { [portKey]: {} } } : {}),
    HostConfig: {
      NetworkMode: spec.network,
      Dns: spec.dns,
      Memory: spec.memoryBytes,
      MemorySwap: spec.memoryBytes,
      NanoCpus: Math.round(spec.cpus * 1e9),
      PidsLimit: PIDS_LIMIT,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges:true"],
      ReadonlyRootfs: spec.readOnlyRootfs,
      Tmpfs: { "/tmp": `rw,noexec,nosuid,size=${TMPFS_SIZE}` },
      ...(spec.mounts?.length
        ? {
            Mounts: spec.mounts.map((mount) => ({
              Type: "bind" as const,
              Source: mount.source,
              Target: mount.target,
              ReadOnly: false as const,
              BindOptions: { Propagation: "rprivate" as const },
            })),
          }
        : {}),
      Privileged: false,
      // A tiny init as PID 1 forwards SIGTERM, so apps that ignore it as PID 1 still stop promptly.
      Init: true,
      // Restarts are the daemon's decision (backoff, crash-loop detection), not the engine's.
      RestartPolicy: { Name: "no" },
      LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } },
    },
  };
}
