import { randomBytes } from "node:crypto";
import { PassThrough, type Readable } from "node:stream";
import { ApiError, type App, type AppSpec, type QuotaLimits } from "@minicloud/shared";
import type { Logger } from "pino";
import type { KeyedMutex } from "../common/keyed-mutex.ts";
import { assertWithinQuota, usageOf } from "../quota/usage.ts";
import { ImageNotFoundError, type Runtime, type RuntimeInstance, type TenantNetwork } from "../runtime/runtime.ts";
import type { AppRecord, InstanceRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import { probeHttp, waitHealthy } from "./health.ts";
import { type AppUrls, type InstanceObservation, toAppView } from "./view.ts";

/** What apps need from networking: tenant resolvers, published routes and records, URLs. */
export interface AppNetworking {
  attachNetwork(network: TenantNetwork): Promise<void>;
  detachNetwork(tenant: string): Promise<void>;
  /** Serves the current desired state on the ingress and in DNS; resolves once it is served. */
  publish(): Promise<void>;
  urls(tenant: string, app: string): AppUrls;
}

export interface AppServiceDeps {
  store: Store;
  runtime: Runtime;
  tenantLocks: KeyedMutex;
  healthTimeoutMs: number;
  logger: Logger;
  /** The tenant's quota limits; throws not_found for an unknown tenant. */
  quotaOf: (tenant: string) => QuotaLimits;
  networking: AppNetworking;
}

export interface ObserveOptions {
  /** Probe health and read CPU/memory per instance (slower; for `status`). */
  detailed?: boolean;
}

const newInstanceId = () => randomBytes(4).toString("hex");

/** Apps of one tenant: deploy, observe, start/stop, destroy. Every mutation runs under the tenant's lock. */
export class AppService {
  private readonly deps: AppServiceDeps;

  constructor(deps: AppServiceDeps) {
    this.deps = deps;
  }

  /**
   * Reserve (under the tenant lock: name + quota), then create and health-check the instances
   * without holding the lock, then commit. Any failure removes what was created and releases the
   * reservation, so nothing half-made stays behind.
   */
  async deploy(tenant: string, spec: AppSpec): Promise<App> {
    const { store, runtime } = this.deps;
    const image = await runtime.inspectImage(spec.image);
    // Another tenant's built image is answered exactly like a missing one, so names do not leak.
    if (!image || (image.tenant !== null && image.tenant !== tenant)) throw imageMissing(spec.image);
    const record = await this.reserve(tenant, spec);
    const created: RuntimeInstance[] = [];
    try {
      const network = await this.tenantNetwork(tenant);
      for (let i = 0; i < spec.count; i++) created.push(await this.createInstance(tenant, spec, network));
      await Promise.all(created.map((instance) => waitHealthy(runtime, instance, spec, this.deps.healthTimeoutMs)));
    } catch (error) {
      await this.removeAll(created.map((c) => c.containerId));
      await store.update((state) => {
        state.apps = state.apps.filter((a) => a !== record);
      });
      await this.dropNetworkIfNoApps(tenant).catch(() => undefined);
      throw error instanceof ImageNotFoundError ? imageMissing(spec.image) : error;
    }
    await store.update(() => {
      record.instances = created.map(toInstanceRecord);
      record.phase = "ready";
      record.updatedAt = new Date().toISOString();
    });
    // The routes and records are in place before the deploy is reported done.
    await this.deps.networking.publish();
    this.deps.logger.info({ tenant, app: spec.name, instances: created.length }, "app deployed");
    return this.view(record);
  }

  private reserve(tenant: string, spec: AppSpec): Promise<AppRecord> {
    return this.deps.tenantLocks.run(tenant, async () => {
      if (this.find(tenant, spec.name)) {
        throw new ApiError(
          "conflict",
          `app ${spec.name} already exists in tenant ${tenant} — destroy it first with \`mc apps destroy ${spec.name}\``,
        );
      }
      this.assertQuota(tenant, spec);
      const now = new Date().toISOString();
      const record: AppRecord = {
        tenant,
        name: spec.name,
        spec,
        desired: "running",
        phase: "deploying",
        instances: [],
        createdAt: now,
        updatedAt: now,
      };
      await this.deps.store.update((state) => {
        state.apps.push(record);
      });
      return record;
    });
  }

  private assertQuota(tenant: string, spec: AppSpec): void {
    const limits = this.deps.quotaOf(tenant);
    assertWithinQuota(tenant, limits, usageOf(this.deps.store.state, tenant), {
      instances: spec.count,
      cpus: spec.count * spec.cpus,
      memory: spec.count * spec.memory,
      storage: 0,
    });
  }

  /** Destroys every app of a tenant (tenant deletion). */
  async destroyAllOf(tenant: string): Promise<void> {
    for (const app of this.deps.store.state.apps.filter((a) => a.tenant === tenant)) {
      await this.destroy(tenant, app.name, { evenWhileDeploying: true });
    }
    const leftovers = await this.deps.runtime.listInstances({ tenant });
    await this.removeAll(leftovers.map((l) => l.containerId));
  }

  /** Finds an instance by id within a tenant only; another tenant's id is simply not found. */
  async instance(tenant: string, instanceId: string): Promise<{ app: App; instance: App["instances"][number] }> {
    const record = this.deps.store.state.apps.find((a) => a.tenant === tenant && a.instances.some((i) => i.id === instanceId));
    if (!record) throw new ApiError("not_found", `instance ${instanceId} not found in tenant ${tenant}`);
    const app = await this.view(record, { detailed: true });
    const instance = app.instances.find((i) => i.id === instanceId);
    if (!instance) throw new ApiError("not_found", `instance ${instanceId} not found in tenant ${tenant}`);
    return { app, instance };
  }

  async list(tenant: string): Promise<App[]> {
    const records = this.deps.store.state.apps.filter((a) => a.tenant === tenant);
    return Promise.all(records.map((record) => this.view(record)));
  }

  async get(tenant: string, name: string, options: ObserveOptions = {}): Promise<App> {
    return this.view(this.requireAny(tenant, name), options);
  }

  async stop(tenant: string, name: string): Promise<App> {
    return this.deps.tenantLocks.run(tenant, async () => {
      const record = this.require(tenant, name);
      // Out of the ingress and DNS first, so no request is sent to an instance that is going away.
      await this.setDesired(record, "stopped");
      await this.deps.networking.publish();
      await Promise.all(record.instances.map((i) => this.deps.runtime.stopInstance(i.containerId)));
      return this.view(record);
    });
  }

  async start(tenant: string, name: string): Promise<App> {
    return this.deps.tenantLocks.run(tenant, async () => {
      const record = this.require(tenant, name);
      if (record.desired === "stopped") this.assertQuota(tenant, record.spec);
      const network = await this.tenantNetwork(tenant);
      const instances = await Promise.all(record.instances.map((i) => this.ensureRunning(record, i, network)));
      await this.persistInstances(record, instances.map(toInstanceRecord));
      await Promise.all(instances.map((i) => waitHealthy(this.deps.runtime, i, record.spec, this.deps.healthTimeoutMs)));
      await this.setDesired(record, "running");
      await this.deps.networking.publish();
      return this.view(record);
    });
  }

  async restart(tenant: string, name: string): Promise<App> {
    return this.deps.tenantLocks.run(tenant, async () => {
      const record = this.require(tenant, name);
      for (const instance of record.instances) {
        await this.deps.runtime.restartInstance(instance.containerId);
        const current = await this.deps.runtime.inspectInstance(instance.containerId);
        if (!current) continue;
        // A restarted container may come back on another address.
        await this.persistInstances(
          record,
          record.instances.map((i) => (i.id === instance.id ? toInstanceRecord(current) : i)),
        );
        await this.deps.networking.publish();
        await waitHealthy(this.deps.runtime, current, record.spec, this.deps.healthTimeoutMs);
      }
      await this.setDesired(record, "running");
      return this.view(record);
    });
  }

  async destroy(tenant: string, name: string, options: { evenWhileDeploying?: boolean } = {}): Promise<void> {
    await this.deps.tenantLocks.run(tenant, async () => {
      const record = options.evenWhileDeploying ? this.requireAny(tenant, name) : this.require(tenant, name);
      await this.deps.store.update((state) => {
        state.apps = state.apps.filter((a) => !(a.tenant === tenant && a.name === name));
      });
      await this.deps.networking.publish();
      // Also sweep containers the record lost track of: labels are the truth.
      const labelled = await this.deps.runtime.listInstances({ tenant, app: name });
      await this.removeAll([...new Set([...record.instances.map((i) => i.containerId), ...labelled.map((l) => l.containerId)])]);
      await this.removeNetworkIfNoApps(tenant);
      this.deps.logger.info({ tenant, app: name }, "app destroyed");
    });
  }

  /** Log lines of every instance of the app as NDJSON; sorted by time unless following. */
  async logs(
    tenant: string,
    name: string,
    options: { follow: boolean; tail?: number | undefined; sinceSeconds?: number | undefined },
  ): Promise<Readable> {
    const record = this.requireAny(tenant, name);
    const streams = await Promise.all(record.instances.map((i) => this.deps.runtime.logs(i.containerId, i.id, options)));
    const out = new PassThrough();
    if (!options.follow) {
      const lines: { ts: string }[] = [];
      for (const stream of streams) for await (const line of stream) lines.push(line as { ts: string });
      lines.sort((a, b) => a.ts.localeCompare(b.ts));
      out.end(lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
      return out;
    }
    let open = streams.length;
    if (open === 0) out.end();
    for (const stream of streams) {
      stream.on("data", (line) => out.write(`${JSON.stringify(line)}\n`));
      stream.on("end", () => --open === 0 && out.end());
      stream.on("error", () => --open === 0 && out.end());
    }
    out.on("close", () => {
      for (const stream of streams) stream.destroy();
    });
    return out;
  }

  private find(tenant: string, name: string): AppRecord | undefined {
    return this.deps.store.state.apps.find((a) => a.tenant === tenant && a.name === name);
  }

  private requireAny(tenant: string, name: string): AppRecord {
    const record = this.find(tenant, name);
    if (!record) throw new ApiError("not_found", `app ${name} not found in tenant ${tenant} — see \`mc apps list\``);
    return record;
  }

  /** The app, when no deploy of it is in flight. */
  private require(tenant: string, name: string): AppRecord {
    const record = this.requireAny(tenant, name);
    if (record.phase === "deploying")
      throw new ApiError("conflict", `app ${name} is being deployed right now — retry when that deploy has finished`);
    return record;
  }

  /** The tenant's network, with its resolver answering before any container is told to use it. */
  private async tenantNetwork(tenant: string): Promise<TenantNetwork> {
    const network = await this.deps.runtime.ensureNetwork(tenant);
    await this.deps.networking.attachNetwork(network);
    return network;
  }

  private createInstance(tenant: string, spec: AppSpec, network: TenantNetwork): Promise<RuntimeInstance> {
    return this.deps.runtime.createInstance({
      tenant,
      app: spec.name,
      instanceId: newInstanceId(),
      image: spec.image,
      port: spec.port ?? null,
      env: spec.env,
      command: spec.command,
      memoryBytes: spec.memory,
      cpus: spec.cpus,
      readOnlyRootfs: spec.readOnlyRootfs,
      network: network.name,
      dns: [network.gateway],
    });
  }

  /** Starts an instance's container, recreating it when it has gone missing. */
  private async ensureRunning(record: AppRecord, instance: InstanceRecord, network: TenantNetwork): Promise<RuntimeInstance> {
    const current = await this.deps.runtime.inspectInstance(instance.containerId);
    if (!current) return this.createInstance(record.tenant, record.spec, network);
    if (current.state !== "running") await this.deps.runtime.startInstance(instance.containerId);
    return (await this.deps.runtime.inspectInstance(instance.containerId)) ?? current;
  }

  /** The tenant network lives while the tenant has apps, including deploys in flight. */
  private dropNetworkIfNoApps(tenant: string): Promise<void> {
    return this.deps.tenantLocks.run(tenant, () => this.removeNetworkIfNoApps(tenant));
  }

  /** Call with the tenant lock held. */
  private async removeNetworkIfNoApps(tenant: string): Promise<void> {
    if (this.deps.store.state.apps.some((a) => a.tenant === tenant)) return;
    await this.deps.runtime.removeNetworkIfUnused(tenant);
    await this.deps.networking.detachNetwork(tenant);
  }

  private async removeAll(containerIds: string[]): Promise<void> {
    await Promise.all(containerIds.map((id) => this.deps.runtime.removeInstance(id)));
  }

  private async persistInstances(record: AppRecord, instances: InstanceRecord[]): Promise<void> {
    await this.deps.store.update(() => {
      record.instances = instances;
    });
  }

  private async setDesired(record: AppRecord, desired: AppRecord["desired"]): Promise<AppRecord> {
    await this.deps.store.update(() => {
      record.desired = desired;
      record.updatedAt = new Date().toISOString();
    });
    return record;
  }

  private async view(record: AppRecord, options: ObserveOptions = {}): Promise<App> {
    const observed = new Map<string, InstanceObservation>();
    await Promise.all(
      record.instances.map(async (instance) => {
        const runtime = await this.deps.runtime.inspectInstance(instance.containerId);
        const running = runtime?.state === "running";
        let healthy: boolean | undefined;
        let stats: InstanceObservation["stats"];
        if (options.detailed && running) {
          [healthy, stats] = await Promise.all([
            runtime.ip === null || record.spec.port === undefined
              ? Promise.resolve(true)
              : probeHttp(`${runtime.ip}:${record.spec.port}`, record.spec.healthPath),
            this.deps.runtime.stats(instance.containerId),
          ]);
        }
        observed.set(instance.id, { runtime, healthy, stats });
      }),
    );
    return toAppView(record, observed, this.deps.networking.urls(record.tenant, record.name));
  }
}

function toInstanceRecord(instance: RuntimeInstance): InstanceRecord {
  return { id: instance.instanceId, containerId: instance.containerId, ip: instance.ip };
}

function imageMissing(image: string): ApiError {
  return new ApiError(
    "invalid_input",
    `image ${image} was not found on the engine — build it first (docker build -t ${image} .) or check the name with \`docker images\``,
    [{ field: "image", message: "not found on the engine" }],
  );
}
