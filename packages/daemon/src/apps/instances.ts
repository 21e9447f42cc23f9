import { randomBytes } from "node:crypto";
import type { AppSpec } from "@minicloud/shared";
import type { Stopwatch } from "../common/stopwatch.ts";
import { NetworkMissingError, type Runtime, type RuntimeInstance, type TenantNetwork } from "../runtime/runtime.ts";
import type { InstanceRecord } from "../store/schema.ts";
import { waitHealthy } from "./health.ts";
import type { AppNetworking } from "./networking-port.ts";
import type { AppSecrets } from "./secrets-port.ts";
import type { AppVolumes } from "./volumes-port.ts";

const newInstanceId = () => randomBytes(4).toString("hex");

export function toInstanceRecord(instance: RuntimeInstance, release: number, restarts = 0): InstanceRecord {
  return { id: instance.instanceId, containerId: instance.containerId, ip: instance.ip, release, restarts };
}

/** Creating, health-checking and removing instances: the steps every deploy, scale and repair shares. */
export class Instances {
  private readonly runtime: Runtime;
  private readonly networking: AppNetworking;
  private readonly healthTimeoutMs: number;
  private readonly volumes: AppVolumes | undefined;
  private readonly secrets: AppSecrets | undefined;

  constructor(runtime: Runtime, networking: AppNetworking, healthTimeoutMs: number, volumes?: AppVolumes, secrets?: AppSecrets) {
    this.runtime = runtime;
    this.networking = networking;
    this.healthTimeoutMs = healthTimeoutMs;
    this.volumes = volumes;
    this.secrets = secrets;
  }

  /** The tenant's network, with its resolver answering before any container is told to use it. */
  async network(tenant: string): Promise<TenantNetwork> {
    const network = await this.runtime.ensureNetwork(tenant);
    await this.networking.attachNetwork(network);
    return network;
  }

  /** Creates and starts one instance; a tenant network removed behind the daemon's back is made again. */
  async create(tenant: string, spec: AppSpec, network: TenantNetwork): Promise<RuntimeInstance> {
    try {
      return await this.createOn(tenant, spec, network);
    } catch (error) {
      if (!(error instanceof NetworkMissingError)) throw error;
      return this.createOn(tenant, spec, await this.network(tenant));
    }
  }

  private async createOn(tenant: string, spec: AppSpec, network: TenantNetwork): Promise<RuntimeInstance> {
    // Secrets are opened here only, for the container's environment; a plain env var of the same name gives way.
    const secrets = spec.secrets && this.secrets ? this.secrets.envOf(tenant, spec.name, spec.secrets) : undefined;
    const mounts = spec.volumes?.length && this.volumes ? await this.volumes.hostMounts(tenant, spec) : undefined;
    return this.runtime.createInstance({
      tenant,
      app: spec.name,
      instanceId: newInstanceId(),
      image: spec.image,
      port: spec.port ?? null,
      env: secrets ? { ...spec.env, ...secrets } : spec.env,
      command: spec.command,
      memoryBytes: spec.memory,
      cpus: spec.cpus,
      readOnlyRootfs: spec.readOnlyRootfs,
      network: network.name,
      dns: [network.gateway],
      mounts,
    });
  }

  /** How long a new instance of `spec` may take to pass its health check. */
  healthTimeoutMsOf(spec: AppSpec): number {
    return spec.healthTimeout === undefined ? this.healthTimeoutMs : spec.healthTimeout * 1000;
  }

  waitHealthy(instance: RuntimeInstance, spec: AppSpec): Promise<void> {
    return waitHealthy(this.runtime, instance, spec, this.healthTimeoutMsOf(spec));
  }

  /**
   * Starts `count` new instances of `spec` and waits until every one passes its health check.
   * On any failure the ones it created are removed before the error is rethrown.
   */
  async startHealthy(tenant: string, spec: AppSpec, release: number, count: number, watch?: Stopwatch): Promise<InstanceRecord[]> {
    const created: RuntimeInstance[] = [];
    try {
      const network = await this.network(tenant);
      watch?.lap("network");
      // In parallel: the engine creates and starts containers concurrently; one that fails still
      // leaves the others in `created`, so the cleanup below removes them.
      const results = await Promise.allSettled(Array.from({ length: count }, () => this.create(tenant, spec, network)));
      for (const result of results) if (result.status === "fulfilled") created.push(result.value);
      const failed = results.find((result) => result.status === "rejected");
      if (failed) throw failed.reason;
      watch?.lap("create");
      await Promise.all(created.map((instance) => this.waitHealthy(instance, spec)));
      watch?.lap("healthy");
      // Addresses are read after the health check, when every container surely has one.
      return created.map((instance) => toInstanceRecord(instance, release));
    } catch (error) {
      await this.removeAll(created.map((c) => c.containerId));
      throw error;
    }
  }

  async removeAll(containerIds: string[]): Promise<void> {
    await Promise.all(containerIds.map((id) => this.runtime.removeInstance(id)));
  }
}
