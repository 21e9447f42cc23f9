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
  /** Resolvers the instance's embedded DNS forwards to (the tenant's CoreDNS on the gateway). */
  dns: string[];
}

/** A tenant's bridge network: its explicit subnet tells tenants apart in DNS views. */
export interface TenantNetwork {
  tenant: string;
  name: string;
  subnet: string;
  gateway: string;
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
  /** Address on the tenant network (reachable from the host), while running. */
  ip: string | null;
}

/** A container of ours changed state in the engine. */
export interface RuntimeEvent {
  action: "start" | "die" | "oom" | "destroy";
  containerId: string;
  instanceId: string;
  tenant: string;
  app: string;
  exitCode: number | null;
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
  /** Builds a tar'ed context into a tenant-labelled image; each output line goes to `onOutput`. */
  buildImage(context: Readable, options: BuildOptions, onOutput: (line: string) => void): Promise<void>;
  ensureNetwork(tenant: string): Promise<TenantNetwork>;
  listNetworks(): Promise<TenantNetwork[]>;
  removeNetworkIfUnused(tenant: string): Promise<void>;
  createInstance(spec: InstanceSpec): Promise<RuntimeInstance>;
  startInstance(containerId: string): Promise<void>;
  stopInstance(containerId: string): Promise<void>;
  restartInstance(containerId: string): Promise<void>;
  removeInstance(containerId: string): Promise<void>;
  inspectInstance(containerId: string): Promise<RuntimeInstance | undefined>;
  /** Every instance of this prefix in one engine call (`startedAt` and `restartCount` are not filled in). */
  listInstances(filter?: { tenant?: string; app?: string }): Promise<RuntimeInstance[]>;
  stats(containerId: string): Promise<InstanceStats | undefined>;
  /**
   * Streams the engine's container events for this prefix until `stop()` is called. `onEnd` runs
   * when the stream breaks (an engine restart, say); the caller decides when to watch again.
   */
  watchEvents(onEvent: (event: RuntimeEvent) => void, onEnd: (error?: Error) => void): Promise<{ stop(): void }>;
  /** Log lines of one instance, in order; ends unless `follow`. */
  logs(containerId: string, instanceId: string, options: LogOptions): Promise<Readable>;
}

export class EngineUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the Docker engine is not reachable (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = "EngineUnavailableError";
  }
}

/** Resource limits of a build: the same kind of ceiling as the tenant's containers. */
export interface BuildOptions {
  tag: string;
  tenant: string;
  memoryBytes: number;
  cpus: number;
}

/** The Dockerfile did not build; the message is the engine's (the failing step's output). */
export class BuildFailedError extends Error {}

/** The tenant network a container was created on is gone (removed behind the daemon's back). */
export class NetworkMissingError extends Error {
  constructor(network: string) {
    super(`network ${network} is gone from the engine`);
    this.name = "NetworkMissingError";
  }
}

export class ImageNotFoundError extends Error {
  constructor(image: string) {
    super(`image ${image} was not found on the engine`);
    this.name = "ImageNotFoundError";
  }
}
