import { Readable } from "node:stream";
import Docker from "dockerode";
import { readTarFile } from "../common/tar-file.ts";
import { BuildCgroups } from "./build-cgroups.ts";
import { containerConfig } from "./container-config.ts";
import { startExec } from "./docker-exec.ts";
import { engineError, messageOf, statusOf } from "./engine-errors.ts";
import { resolveUser } from "./image-user.ts";
import { LABEL, objectName, ownedLabels } from "./labels.ts";
import { LogFrameParser } from "./log-frames.ts";
import {
  BuildFailedError,
  type BuildOptions,
  type EngineImage,
  EngineUnavailableError,
  type ExecOptions,
  type ExecSession,
  type ImageInfo,
  ImageNotFoundError,
  type InstanceSpec,
  type InstanceState,
  type LogOptions,
  NetworkMissingError,
  PullFailedError,
  type PullProgress,
  PushFailedError,
  type RegistryAuth,
  type Runtime,
  type RuntimeEvent,
  type RuntimeInstance,
  type TenantNetwork,
} from "./runtime.ts";
import { freeSubnets } from "./subnet-pool.ts";

/** Runtime backed by one Docker engine through dockerode. */
export class DockerRuntime implements Runtime {
  private readonly docker: Docker;
  private readonly prefix: string;
  private readonly subnetPool: string;
  private readonly networksInFlight = new Map<string, Promise<TenantNetwork>>();
  private readonly knownNetworks = new Map<string, TenantNetwork>();
  private readonly buildCgroups: BuildCgroups;
  private cgroupDriver: Promise<string | undefined> | undefined;

  constructor(prefix: string, subnetPool: string, docker: Docker = new Docker()) {
    this.prefix = prefix;
    this.subnetPool = subnetPool;
    this.docker = docker;
    this.buildCgroups = new BuildCgroups(prefix, () => this.engineCgroupDriver());
  }

  /** `cgroupfs` or `systemd`, asked once (undefined when the engine does not say; asked again next time). */
  private engineCgroupDriver(): Promise<string | undefined> {
    this.cgroupDriver ??= this.docker.info().then(
      (info: { CgroupDriver?: string }) => info.CgroupDriver,
      () => {
        this.cgroupDriver = undefined;
        return undefined;
      },
    );
    return this.cgroupDriver;
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (error) {
      throw new EngineUnavailableError(error);
    }
  }

  async imageUser(image: string): Promise<{ uid: number; gid: number }> {
    const info = await this.docker
      .getImage(image)
      .inspect()
      .catch((error) => {
        throw statusOf(error) === 404 ? new ImageNotFoundError(image) : engineError(error);
      });
    const spec = info.Config?.User ?? "";
    const numeric = resolveUser(spec, "", "");
    if (numeric && /^\d*(:\d*)?$/.test(spec)) return numeric;
    // A user name: read the image's own /etc/passwd and /etc/group from a container that never starts.
    const container = await this.docker.createContainer({
      Image: image,
      Cmd: ["true"],
      Labels: ownedLabels(this.prefix, {}),
      HostConfig: { NetworkMode: "none" },
    });
    try {
      const read = async (file: string) =>
        readTarFile((await container.getArchive({ path: file })) as unknown as Readable).then(
          (text) => text ?? "",
          () => "",
        );
      const user = resolveUser(spec, await read("/etc/passwd"), await read("/etc/group"));
      if (!user) throw new Error(`the image's user "${spec}" is not in its /etc/passwd`);
      return user;
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  async inspectImage(image: string): Promise<ImageInfo | undefined> {
    try {
      const info = await this.docker.getImage(image).inspect();
      const labels = info.Config?.Labels ?? {};
      const exposedPorts = Object.keys(info.Config?.ExposedPorts ?? {})
        .flatMap((key) => (/^(\d+)(\/tcp)?$/.exec(key) ? [Number.parseInt(key, 10)] : []))
        .sort((a, b) => a - b);
      return {
        id: info.Id,
        size: info.Size,
        published: labels[LABEL.published] === "true" && !labels[LABEL.tenant] && (info.RepoDigests ?? []).length === 0,
        tenant: labels[LABEL.prefix] === this.prefix ? (labels[LABEL.tenant] ?? null) : null,
        exposedPorts,
        names: [...(info.RepoTags ?? []), ...(info.RepoDigests ?? [])],
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw engineError(error);
    }
  }

  async removeTenantImages(tenant: string): Promise<void> {
    try {
      const images = await this.docker.listImages({ filters: { label: [`${LABEL.prefix}=${this.prefix}`, `${LABEL.tenant}=${tenant}`] } });
      for (const image of images) {
        await this.ignoring([404, 409], () => this.docker.getImage(image.Id).remove({ force: true }));
      }
    } catch (error) {
      throw engineError(error);
    }
  }

  async tenantImageBytes(tenant: string): Promise<number> {
    try {
      const images = await this.docker.listImages({ filters: { label: [`${LABEL.prefix}=${this.prefix}`, `${LABEL.tenant}=${tenant}`] } });
      return images.reduce((sum, image) => sum + image.Size, 0);
    } catch (error) {
      throw engineError(error);
    }
  }

  async tenantImages(tenant: string): Promise<EngineImage[]> {
    try {
      const images = await this.docker.listImages({ filters: { label: [`${LABEL.prefix}=${this.prefix}`, `${LABEL.tenant}=${tenant}`] } });
      return images.map((image) => ({ id: image.Id, names: [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])], size: image.Size }));
    } catch (error) {
      throw engineError(error);
    }
  }

  async pullImage(
    reference: string,
    auth: RegistryAuth | undefined,
    onProgress: (progress: PullProgress) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    let output: NodeJS.ReadableStream;
    try {
      // Credentials as the 4th argument go in the X-Registry-Auth header; in the options they would end up in the query string.
      output = (await (this.docker.pull(
        reference,
        signal ? { abortSignal: signal } : {},
        undefined as never,
        auth,
      ) as unknown)) as NodeJS.ReadableStream;
    } catch (error) {
      if (signal?.aborted) throw new PullFailedError("the pull was cancelled");
      // Any answer of the engine is about the registry (an unknown name, a refused login); no answer is the engine's own trouble.
      if (statusOf(error) !== undefined) throw new PullFailedError(messageOf(error));
      throw engineError(error);
    }
    // Closing the engine's stream is what ends its pull when the caller gives up.
    const abort = () => (output as unknown as { destroy?: () => void }).destroy?.();
    signal?.addEventListener("abort", abort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(
          output,
          (error: Error | null) => (error ? reject(new PullFailedError(error.message)) : resolve()),
          (event: { id?: string; status?: string; error?: string; progressDetail?: { current?: number; total?: number } }) => {
            if (event.error) return;
            if (!event.id || !event.status) return;
            onProgress({
              layer: event.id,
              status: event.status,
              current: event.progressDetail?.current ?? null,
              total: event.progressDetail?.total ?? null,
            });
          },
        );
      });
    } finally {
      signal?.removeEventListener("abort", abort);
    }
    if (signal?.aborted) throw new PullFailedError("the pull was cancelled");
  }

  async pushImage(image: string, target: string, auth: RegistryAuth): Promise<void> {
    const cut = target.lastIndexOf(":");
    const [repo, tag] = cut > target.lastIndexOf("/") ? [target.slice(0, cut), target.slice(cut + 1)] : [target, "latest"];
    try {
      await this.docker.getImage(image).tag({ repo, tag });
    } catch (error) {
      throw engineError(error);
    }
    try {
      // Credentials in X-Registry-Auth (the `authconfig` option); the engine logs in at the registry's token realm.
      const output = (await this.docker.getImage(target).push({ authconfig: auth })) as NodeJS.ReadableStream;
      let refused: string | undefined;
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(
          output,
          (error: Error | null) => (error ? reject(new PushFailedError(error.message)) : resolve()),
          (event: { error?: string }) => {
            refused ??= event.error;
          },
        );
      });
      if (refused) throw new PushFailedError(refused);
    } catch (error) {
      if (error instanceof PushFailedError) throw error;
      if (statusOf(error) !== undefined) throw new PushFailedError(messageOf(error));
      throw engineError(error);
    } finally {
      // Only the name goes: the image keeps its own.
      await this.ignoring([404, 409], () => this.docker.getImage(target).remove({ noprune: true })).catch(() => undefined);
    }
  }

  async removeImage(image: string): Promise<void> {
    try {
      await this.ignoring([404], () => this.docker.getImage(image).remove({ force: true }));
    } catch (error) {
      throw engineError(error);
    }
  }

  async buildImage(context: Readable, options: BuildOptions, onOutput: (line: string) => void): Promise<void> {
    const cgroup = await this.buildCgroups.acquire(options.tenant);
    try {
      await this.buildInCgroup(context, options, cgroup.parent, onOutput);
    } finally {
      await cgroup.release();
    }
  }

  private async buildInCgroup(
    context: Readable,
    options: BuildOptions,
    cgroupParent: string | undefined,
    onOutput: (line: string) => void,
  ): Promise<void> {
    let output: NodeJS.ReadableStream;
    try {
      output = await this.docker.buildImage(context, {
        // The pids limit of the tenant's builds (build-cgroups.ts).
        ...(cgroupParent ? { cgroupparent: cgroupParent } : {}),
        ...(options.network ? { networkmode: options.network } : {}),
        // Closing the request is how the legacy builder is cancelled: it stops the step's container
        // and, with forcerm, removes it.
        ...(options.signal ? { abortSignal: options.signal } : {}),
        t: options.tag,
        labels: ownedLabels(this.prefix, { [LABEL.tenant]: options.tenant }),
        // Intermediate containers go away even when a step fails; limits hold for RUN steps too.
        rm: true,
        forcerm: true,
        memory: options.memoryBytes,
        memswap: options.memoryBytes,
        cpuperiod: 100_000,
        cpuquota: Math.round(options.cpus * 100_000),
        ...(options.dockerfile ? { dockerfile: options.dockerfile } : {}),
        nocache: options.noCache,
        buildargs: options.buildArgs,
      });
    } catch (error) {
      throw engineError(error);
    }
    let failure: string | undefined;
    for await (const line of jsonLines(output as Readable)) {
      const message = line as { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } };
      if (message.error) failure = message.errorDetail?.message ?? message.error;
      const text = message.stream ?? message.status;
      if (text?.trim()) onOutput(text.replace(/\n$/, ""));
    }
    if (failure) throw new BuildFailedError(failure);
  }

  /**
   * The tenant's network, created on first use. Known networks are remembered (they live as long
   * as the tenant; asking the engine each deploy cost more as the network filled up); a container
   * create that finds it gone forgets it. Concurrent callers share one creation: Docker's
   * duplicate check is best-effort, names must stay unique.
   */
  ensureNetwork(tenant: string): Promise<TenantNetwork> {
    const known = this.knownNetworks.get(tenant);
    if (known) return Promise.resolve(known);
    const pending = this.networksInFlight.get(tenant);
    if (pending) return pending;
    const creation = this.createNetworkOnce(tenant)
      .then((network) => {
        this.knownNetworks.set(tenant, network);
        return network;
      })
      .finally(() => this.networksInFlight.delete(tenant));
    this.networksInFlight.set(tenant, creation);
    return creation;
  }

  async listNetworks(): Promise<TenantNetwork[]> {
    try {
      const networks = await this.docker.listNetworks({ filters: { label: [`${LABEL.prefix}=${this.prefix}`, LABEL.tenant] } });
      return networks.map(toTenantNetwork).filter((n): n is TenantNetwork => n !== undefined);
    } catch (error) {
      throw engineError(error);
    }
  }

  private async createNetworkOnce(tenant: string): Promise<TenantNetwork> {
    const name = objectName(this.prefix, tenant);
    const existing = await this.inspectNetwork(name);
    if (existing) return existing;
    // Another daemon (or a concurrent creation here) may take a subnet between our look and our
    // create, and the engine may still hold one of a network removed a moment ago without listing
    // it: a refused subnet is never tried again.
    const refused: string[] = [];
    for (let attempt = 0; attempt < MAX_SUBNET_ATTEMPTS; attempt++) {
      const lease = freeSubnets(this.subnetPool, [...(await this.usedSubnets()), ...refused])[0];
      if (!lease) throw new Error(`no free /24 left in the subnet pool ${this.subnetPool} — set MC_SUBNET_POOL to a larger range`);
      try {
        await this.docker.createNetwork({
          Name: name,
          Driver: "bridge",
          CheckDuplicate: true,
          IPAM: { Driver: "default", Config: [{ Subnet: lease.subnet, Gateway: lease.gateway }] },
          Labels: ownedLabels(this.prefix, { [LABEL.tenant]: tenant }),
        });
      } catch (error) {
        if (isOverlap(error)) {
          refused.push(lease.subnet);
          continue;
        }
        // Another request created it first: that is the network we wanted.
        if (statusOf(error) !== 409) throw engineError(error);
      }
      const created = await this.inspectNetwork(name);
      if (created) return created;
    }
    throw new Error(`could not find a free subnet in ${this.subnetPool} after ${MAX_SUBNET_ATTEMPTS} attempts`);
  }

  private async inspectNetwork(name: string): Promise<TenantNetwork | undefined> {
    try {
      return toTenantNetwork(await this.docker.getNetwork(name).inspect());
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw engineError(error);
    }
  }

  private async usedSubnets(): Promise<string[]> {
    const networks = await this.docker.listNetworks();
    return networks.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? "")).filter(Boolean);
  }

  async removeNetworkIfUnused(tenant: string): Promise<void> {
    this.knownNetworks.delete(tenant);
    const network = this.docker.getNetwork(objectName(this.prefix, tenant));
    try {
      const info = (await network.inspect()) as { Containers?: Record<string, unknown> };
      if (Object.keys(info.Containers ?? {}).length === 0) await network.remove();
    } catch (error) {
      if (statusOf(error) !== 404 && statusOf(error) !== 403 && statusOf(error) !== 409) throw engineError(error);
    }
  }

  async createInstance(spec: InstanceSpec): Promise<RuntimeInstance> {
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(containerConfig(this.prefix, spec));
    } catch (error) {
      this.throwIfNetworkMissing(error, spec);
      if (statusOf(error) === 404) throw new ImageNotFoundError(spec.image);
      throw engineError(error);
    }
    try {
      await container.start();
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      this.throwIfNetworkMissing(error, spec);
      throw engineError(error);
    }
    const inspected = await this.inspectInstance(container.id);
    if (!inspected) throw new Error(`container ${container.id} vanished right after it started`);
    return inspected;
  }

  /** The engine checks the network at create or at start, depending on its version. */
  private throwIfNetworkMissing(error: unknown, spec: InstanceSpec): void {
    if (statusOf(error) !== 404 || !/network .* not found/i.test(messageOf(error))) return;
    this.knownNetworks.delete(spec.tenant);
    throw new NetworkMissingError(spec.network);
  }

  async startInstance(containerId: string): Promise<void> {
    await this.ignoring([304], () => this.docker.getContainer(containerId).start());
  }

  async stopInstance(containerId: string): Promise<void> {
    await this.ignoring([304, 404], () => this.docker.getContainer(containerId).stop({ t: 5 }));
  }

  async restartInstance(containerId: string): Promise<void> {
    await this.ignoring([], () => this.docker.getContainer(containerId).restart({ t: 5 }));
  }

  async removeInstance(containerId: string): Promise<void> {
    await this.ignoring([404], () => this.docker.getContainer(containerId).remove({ force: true, v: true }));
  }

  async inspectInstance(containerId: string): Promise<RuntimeInstance | undefined> {
    try {
      return toInstance(await this.docker.getContainer(containerId).inspect());
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw engineError(error);
    }
  }

  async listInstances(filter: { tenant?: string; app?: string } = {}): Promise<RuntimeInstance[]> {
    const label = [`${LABEL.prefix}=${this.prefix}`, `${LABEL.instance}`];
    if (filter.tenant) label.push(`${LABEL.tenant}=${filter.tenant}`);
    if (filter.app) label.push(`${LABEL.app}=${filter.app}`);
    try {
      // One engine call for all of them: the list carries state, labels and addresses already.
      const summaries = await this.docker.listContainers({ all: true, filters: { label } });
      return summaries.map(fromSummary);
    } catch (error) {
      throw engineError(error);
    }
  }

  async writableLayerBytes(containerId: string): Promise<number | undefined> {
    try {
      // `size` is the engine's query parameter; dockerode passes it on but does not type it.
      const options = { size: true } as Docker.ContainerInspectOptions;
      const info = (await this.docker.getContainer(containerId).inspect(options)) as { SizeRw?: number };
      return info.SizeRw ?? 0;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw engineError(error);
    }
  }

  async watchEvents(onEvent: (event: RuntimeEvent) => void, onEnd: (error?: Error) => void): Promise<{ stop(): void }> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.getEvents({
        filters: {
          type: ["container"],
          event: ["start", "die", "oom", "destroy"],
          label: [`${LABEL.prefix}=${this.prefix}`, LABEL.instance],
        },
      });
    } catch (error) {
      throw engineError(error);
    }
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(error);
    };
    void (async () => {
      try {
        for await (const line of jsonLines(stream as Readable)) {
          const event = toRuntimeEvent(line as DockerEvent);
          if (event) onEvent(event);
        }
        end();
      } catch (error) {
        end(error as Error);
      }
    })();
    return {
      stop: () => {
        ended = true;
        (stream as Readable).destroy?.();
      },
    };
  }

  async logs(containerId: string, instanceId: string, options: LogOptions): Promise<Readable> {
    const container = this.docker.getContainer(containerId);
    const base = {
      stdout: true,
      stderr: true,
      timestamps: true,
      since: options.sinceSeconds ?? 0,
      ...(options.tail === undefined ? {} : { tail: options.tail }),
    };
    let raw: NodeJS.ReadableStream | Buffer;
    try {
      raw = options.follow ? await container.logs({ ...base, follow: true }) : await logStream(container, base);
    } catch (error) {
      if (statusOf(error) === 404) return Readable.from([]);
      throw engineError(error);
    }
    const source = Buffer.isBuffer(raw) ? Readable.from([raw]) : (raw as Readable);
    const parser = new LogFrameParser(instanceId);
    source.on("error", (error) => parser.destroy(error));
    parser.on("close", () => (source as Readable).destroy?.());
    return source.pipe(parser);
  }

  exec(containerId: string, options: ExecOptions): Promise<ExecSession> {
    return startExec(this.docker, containerId, options);
  }

  private async ignoring(statuses: number[], action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      if (!statuses.includes(statusOf(error) ?? -1)) throw engineError(error);
    }
  }
}

/**
 * A container's logs up to now as a stream: dockerode buffers a whole non-follow read in memory
 * (it asks the modem for a stream only when following), which for a chatty app is its whole log.
 */
function logStream(container: Docker.Container, options: Record<string, unknown>): Promise<Readable> {
  return new Promise((resolve, reject) => {
    container.modem.dial(
      {
        path: `/containers/${container.id}/logs?`,
        method: "GET",
        isStream: true,
        statusCodes: { 200: true, 404: "no such container", 500: "server error" },
        options: { ...options, follow: false },
      },
      (error: unknown, stream: Readable) => (error ? reject(error) : resolve(stream)),
    );
  });
}

interface DockerEvent {
  Action?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** Parses a stream of newline-delimited JSON (the engine's build and event output). */
async function* jsonLines(stream: Readable): AsyncGenerator<unknown> {
  let buffered = "";
  for await (const chunk of stream) {
    buffered += chunk.toString();
    let newline = buffered.indexOf("\n");
    while (newline !== -1) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
      if (line) yield JSON.parse(line);
    }
  }
  if (buffered.trim()) yield JSON.parse(buffered);
}

function toRuntimeEvent(event: DockerEvent): RuntimeEvent | undefined {
  const action = event.Action;
  if (action !== "start" && action !== "die" && action !== "oom" && action !== "destroy") return undefined;
  const attributes = event.Actor?.Attributes ?? {};
  const exitCode = attributes.exitCode === undefined ? null : Number(attributes.exitCode);
  return {
    action,
    containerId: event.Actor?.ID ?? event.id ?? "",
    instanceId: attributes[LABEL.instance] ?? "",
    tenant: attributes[LABEL.tenant] ?? "",
    app: attributes[LABEL.app] ?? "",
    exitCode,
  };
}

function toInstance(info: Docker.ContainerInspectInfo): RuntimeInstance {
  const labels = info.Config.Labels ?? {};
  return {
    containerId: info.Id,
    instanceId: labels[LABEL.instance] ?? "",
    tenant: labels[LABEL.tenant] ?? "",
    app: labels[LABEL.app] ?? "",
    state: info.State.Status as InstanceState,
    startedAt: info.State.Running ? info.State.StartedAt : null,
    restartCount: info.RestartCount,
    exitCode: info.State.Running ? null : info.State.ExitCode,
    oomKilled: info.State.OOMKilled === true,
    ip: info.State.Running ? firstAddress(info.NetworkSettings.Networks) : null,
    pid: info.State.Running ? info.State.Pid : null,
  };
}

/** The container's address on its (one) network. */
function firstAddress(networks: Record<string, { IPAddress?: string }> | undefined): string | null {
  return Object.values(networks ?? {}).find((n) => n.IPAddress)?.IPAddress || null;
}

/** A container as the engine's list shows it (no start time or restart count: those need an inspect). */
function fromSummary(summary: Docker.ContainerInfo): RuntimeInstance {
  const labels = summary.Labels ?? {};
  const running = summary.State === "running";
  const exited = /^Exited \((\d+)\)/.exec(summary.Status ?? "");
  return {
    containerId: summary.Id,
    instanceId: labels[LABEL.instance] ?? "",
    tenant: labels[LABEL.tenant] ?? "",
    app: labels[LABEL.app] ?? "",
    state: summary.State as InstanceState,
    startedAt: null,
    restartCount: 0,
    exitCode: exited ? Number(exited[1]) : null,
    oomKilled: false,
    ip: running ? firstAddress(summary.NetworkSettings?.Networks) : null,
  };
}

const MAX_SUBNET_ATTEMPTS = 20;

function toTenantNetwork(info: Docker.NetworkInspectInfo): TenantNetwork | undefined {
  const tenant = info.Labels?.[LABEL.tenant];
  const config = info.IPAM?.Config?.find((c) => c.Subnet && c.Gateway);
  if (!tenant || !config?.Subnet || !config.Gateway) return undefined;
  const bridge = info.Options?.["com.docker.network.bridge.name"] ?? `br-${info.Id.slice(0, 12)}`;
  return { tenant, name: info.Name, subnet: config.Subnet, gateway: config.Gateway, bridge };
}

function isOverlap(error: unknown): boolean {
  return /overlap/i.test(messageOf(error));
}
