import type { Readable } from "node:stream";

/** What the platform asks the runtime to run; already validated and defaulted. */
export interface InstanceSpec {
  tenant: string;
  app: string;
  instanceId: string;
  image: string;
  port: number | null;
  env: Record<string, string>;
  command: string[] | undefined;
  memoryBytes: number;
  cpus: number;
  readOnlyRootfs: boolean;
  network: string;
}

export type InstanceState = "created" | "running" | "exited" | "paused" | "restarting" | "dead" | "removing";

export interface RuntimeInstance {
  containerId: string;
  instanceId: string;
  tenant: string;
  app: string;
  state: InstanceState;
  startedAt: string | null;
  restartCount: number;
  exitCode: number | null;
  /** Port on 127.0.0.1 that reaches the instance's app port, when it has one. */
  hostPort: number | null;
}

export interface InstanceStats {
  cpuPercent: number;
  memoryBytes: number;
}

export interface LogLine {
  ts: string;
  instance: string;
  stream: "stdout" | "stderr";
  line: string;
}

export interface LogOptions {
  follow: boolean;
  tail?: number | undefined;
  sinceSeconds?: number | undefined;
}

/**
 * The narrow seam between minicloud and the container engine. Today one Docker engine backs it;
 * nothing outside runtime/ sees a Docker type.
 */
export interface Runtime {
  ping(): Promise<void>;
  /** The image's owner when it exists (`tenant` null for images minicloud did not build). */
  inspectImage(image: string): Promise<{ tenant: string | null } | undefined>;
  removeTenantImages(tenant: string): Promise<void>;
  ensureNetwork(tenant: string): Promise<string>;
  removeNetworkIfUnused(tenant: string): Promise<void>;
  createInstance(spec: InstanceSpec): Promise<RuntimeInstance>;
  startInstance(containerId: string): Promise<void>;
  stopInstance(containerId: string): Promise<void>;
  restartInstance(containerId: string): Promise<void>;
  removeInstance(containerId: string): Promise<void>;
  inspectInstance(containerId: string): Promise<RuntimeInstance | undefined>;
  listInstances(filter?: { tenant?: string; app?: string }): Promise<RuntimeInstance[]>;
  stats(containerId: string): Promise<InstanceStats | undefined>;
  /** Log lines of one instance, in order; ends unless `follow`. */
  logs(containerId: string, instanceId: string, options: LogOptions): Promise<Readable>;
}

export class EngineUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the Docker engine is not reachable (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = "EngineUnavailableError";
  }
}

export class ImageNotFoundError extends Error {
  constructor(image: string) {
    super(`image ${image} was not found on the engine`);
    this.name = "ImageNotFoundError";
  }
}
