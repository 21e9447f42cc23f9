import type { Readable, Writable } from "node:stream";
import type { LogLine } from "@minicloud/shared";

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
  /** Host directories the platform made (volume data), bind-mounted read-write; never a user's path. */
  mounts?: { source: string; target: string }[] | undefined;
}

/** A tenant's bridge network: its explicit subnet tells tenants apart in DNS views. */
export interface TenantNetwork {
  tenant: string;
  name: string;
  subnet: string;
  gateway: string;
  /** The host's interface for it (`br-<id>`): never reused by a later network, unlike the subnet. */
  bridge: string;
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
  /** The kernel killed it for crossing its memory limit (from an inspect; a listing says false). */
  oomKilled: boolean;
  /** Address on the tenant network (reachable from the host), while running. */
  ip: string | null;
  /** The host pid of its first process while running (from an inspect; a listing leaves it out). */
  pid?: number | null;
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

/** A log line as the API answers it (the shared contract). */
export type { LogLine };

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
  /** The numeric user and group the image's containers run as (its USER, names looked up in its /etc/passwd). */
  imageUser(image: string): Promise<{ uid: number; gid: number }>;
  /** The image's owner (its tenant label) and the TCP ports its config EXPOSEs, lowest first. */
  inspectImage(image: string): Promise<ImageInfo | undefined>;
  removeTenantImages(tenant: string): Promise<void>;
  /** Bytes of the tenant's images on the engine (each image's whole size, its base's layers too). */
  tenantImageBytes(tenant: string): Promise<number>;
  /** The images labelled as this tenant's builds (this prefix's): id, names and size. */
  tenantImages(tenant: string): Promise<EngineImage[]>;
  /**
   * Pulls a reference through its registry with these credentials (none: anonymous). Progress goes
   * to `onProgress`; aborting `signal` ends the pull (the engine drops what it has not finished).
   * Throws PullFailedError with the engine's reason.
   */
  pullImage(
    reference: string,
    auth: RegistryAuth | undefined,
    onProgress: (progress: PullProgress) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  /**
   * Pushes an image to a registry under `target` (`host/repository:tag`) with these credentials;
   * the engine keeps no `target` name afterwards. Throws PushFailedError with the engine's reason.
   */
  pushImage(image: string, target: string, auth: RegistryAuth): Promise<void>;
  /** Removes one image by name or id; gone already is fine. */
  removeImage(image: string): Promise<void>;
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
  /**
   * Bytes the container wrote into its writable layer (the engine's SizeRw); undefined when it is
   * gone. The engine walks the layer to answer: call it for few containers, not often.
   */
  writableLayerBytes(containerId: string): Promise<number | undefined>;
  /**
   * Streams the engine's container events for this prefix until `stop()` is called. `onEnd` runs
   * when the stream breaks (an engine restart, say); the caller decides when to watch again.
   */
  watchEvents(onEvent: (event: RuntimeEvent) => void, onEnd: (error?: Error) => void): Promise<{ stop(): void }>;
  /** Log lines of one instance, in order; ends unless `follow`. */
  logs(containerId: string, instanceId: string, options: LogOptions): Promise<Readable>;
  /**
   * Runs an argv in a running instance as its configured user, with its hardening (never
   * privileged, no capability it lacks). Throws InstanceNotRunningError when it is stopped or gone.
   */
  exec(containerId: string, options: ExecOptions): Promise<ExecSession>;
}

export interface ExecOptions {
  /** An argv, handed to the engine as is: no shell of ours ever parses it. */
  command: string[];
  tty: boolean;
  /** The terminal's initial size (TTY only). */
  cols?: number | undefined;
  rows?: number | undefined;
}

/** A process started in an instance: its stdio as plain streams, its terminal size, its exit code. */
export interface ExecSession {
  /** The process's stdin; ending it is EOF for the process. */
  readonly stdin: Writable;
  /** The process's stdout, or with a TTY everything the terminal shows; ends when the process does. */
  readonly stdout: Readable;
  /** The process's stderr; ends at once with a TTY. */
  readonly stderr: Readable;
  /** Resizes the terminal (TTY only; a no-op otherwise). */
  resize(cols: number, rows: number): Promise<void>;
  /** The exit code, once the output has ended (null when the engine cannot tell). */
  exitCode(): Promise<number | null>;
  /** Cuts the session short (the client went away): a TTY's process gets a hangup. */
  close(): void;
}

/** The instance is stopped or gone, so nothing can run in it. */
export class InstanceNotRunningError extends Error {
  constructor(containerId: string, reason: string) {
    super(`container ${containerId.slice(0, 12)} is not running: ${reason}`);
    this.name = "InstanceNotRunningError";
  }
}

export class EngineUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the Docker engine is not reachable (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = "EngineUnavailableError";
  }
}

/** Resource limits of a build: the same kind of ceiling as the tenant's containers. */
export interface ImageInfo {
  /** The engine's image id (`sha256:…` of its config): the same bytes whatever names it has. */
  id?: string;
  size?: number;
  /** A host image (no tenant, never pulled) that setup marked for every tenant (the `minicloud.published` label). */
  published?: boolean;
  tenant: string | null;
  exposedPorts: number[];
  /** The names it has (tags and digests, e.g. "minicloud/hello:latest"): how a reference may reach it. */
  names: string[];
}

export interface EngineImage {
  id: string;
  names: string[];
  size: number;
}

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** One layer's step of a pull, as the engine reports it. */
export interface PullProgress {
  layer: string;
  status: string;
  current: number | null;
  total: number | null;
}

/** The engine could not pull; the message is its own (the registry's answer). */
export class PullFailedError extends Error {}

/** The engine could not push; the message is its own (the registry's answer). */
export class PushFailedError extends Error {}

export interface BuildOptions {
  tag: string;
  tenant: string;
  memoryBytes: number;
  cpus: number;
  /** The Dockerfile's path inside the context (default: ./Dockerfile). */
  dockerfile?: string | undefined;
  noCache?: boolean;
  buildArgs?: Record<string, string>;
  /** The network its RUN steps are on (the tenant's: fenced like its apps); the engine's default bridge when unset. */
  network?: string;
  /** Aborting it ends the engine's build: the engine stops the running step and removes its container. */
  signal?: AbortSignal;
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
