import type { Readable } from "node:stream";
import {
  ApiError,
  type App,
  type AppSpec,
  type DeployChange,
  type DeployResult,
  type PlatformEvent,
  type QuotaLimits,
  type ScaleChange,
  type SpecChange,
} from "@minicloud/shared";
import type { Logger } from "pino";
import type { KeyedMutex } from "../common/keyed-mutex.ts";
import type { EventBus } from "../events/bus.ts";
import { UPSTREAM_REFRESH_MS } from "../ingress/caddy-config.ts";
import { compileGrep, type LogQuery, PLATFORM, PLATFORM_LOG_EVENTS } from "../logs/index.ts";
import { assertWithinQuota, NOTHING, resourcesOf, usageOf } from "../quota/usage.ts";
import { InspectCache } from "../runtime/inspect-cache.ts";
import type { InstanceStats, LogLine, Runtime, RuntimeInstance, TenantNetwork } from "../runtime/runtime.ts";
import type { AppRecord, InstanceRecord, ReleaseRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import { Deployer } from "./deployer.ts";
import type { AppDomains } from "./domains-port.ts";
import { probe } from "./health.ts";
import type { AppImages } from "./images-port.ts";
import { Instances, toInstanceRecord } from "./instances.ts";
import { followLogs } from "./log-follow.ts";
import type { AppNetworking } from "./networking-port.ts";
import { findApp, pinnedSpec, releaseOfInstance, requireAnyApp, requireIdleApp, servingDigest } from "./records.ts";
import type { AppSecrets } from "./secrets-port.ts";
import { resolveSpec } from "./spec.ts";
import { type InstanceObservation, toAppView } from "./view.ts";
import type { AppVolumes } from "./volumes-port.ts";

export type { AppNetworking } from "./networking-port.ts";

export interface AppServiceDeps {
  store: Store;
  runtime: Runtime;
  /** Who may run what, and pulls (images/). */
  images: AppImages;
  tenantLocks: KeyedMutex;
  healthTimeoutMs: number;
  logger: Logger;
  /** The tenant's quota limits; throws not_found for an unknown tenant. */
  quotaOf: (tenant: string) => QuotaLimits;
  networking: AppNetworking;
  /** Custom domains: shown in the view, removed with the app. */
  domains?: AppDomains | undefined;
  events: EventBus;
  /** How long replaced instances keep running after the routes moved. */
  drainMs?: number;
  /** Releases kept per app (the active one always is). */
  releaseHistory?: number;
  /** Where the daemon's builds are tagged: images of pruned releases there are removed when unused. */
  builtImagePrefix?: string;
  /** Why an instance last stopped on its own (an OOM kill, an exit code). */
  lastExitOf?: (instanceId: string) => { at: string; reason: string; outOfMemory: boolean } | undefined;
  /** The instance's latest CPU/memory sample (metrics/); undefined until it has one. Never an engine call. */
  latestStatsOf?: (containerId: string) => Promise<InstanceStats | undefined>;
  /** Writes out an image's short form (`registry/<tenant>/<name>:tag`, the built-in registry) as the engine names it. */
  expandImage?: (reference: string) => string;
  /** Whether the daemon has given up restarting an instance for now (crash loop). */
  isCrashLooping?: (instanceId: string) => boolean;
  /** Tells self-healing that the next exit of a container is on purpose. */
  expectExit?: (containerId: string) => void;
  /** Tenant volumes an app mounts. */
  volumes?: AppVolumes;
  /** Sealed secrets: a deploy runs with the app's latest set; instances get them at start. */
  secrets?: AppSecrets;
  /** The daemon's own store of every instance's output (logs/): what a read without -f returns. */
  storedLogs: StoredLogs;
}

/** What `mc logs` asks for. */
export interface LogReadOptions {
  follow: boolean;
  tail?: number | undefined;
  sinceSeconds?: number | undefined;
  grep?: string | undefined;
  instance?: string | undefined;
  release?: number | undefined;
}

/** Reads of the durable log store (logs/DurableLogs), as the app service needs them. */
export interface StoredLogs {
  read(tenant: string, app: string, query: LogQuery): Promise<Readable>;
}

/**
 * Replaced instances keep running this long after DNS dropped them: longer than the ingress takes
 * to look upstreams up again, so a request it already sent there still succeeds.
 */
const DRAIN_MS = UPSTREAM_REFRESH_MS * 4;
/** Cached engine answers expire after this even without an event (a safety net for a missed one). */
const OBSERVED_TTL_MS = 10_000;

export interface ObserveOptions {
  /** Probe health and read CPU/memory per instance (slower; for `status`). */
  detailed?: boolean;
  /** Ask the engine now instead of using cached answers. */
  fresh?: boolean;
  /** Probe health (without the slower CPU/memory sample). */
  health?: boolean;
}

/** Apps of one tenant: deploy, observe, start/stop, destroy. Every mutation runs under the tenant's lock. */
export class AppService {
  private readonly deps: AppServiceDeps;
  readonly instances: Instances;
  /** Engine answers for listings; invalidated by engine events (see Healer) and by every change here. */
  readonly observed: InspectCache;
  private readonly listings = new Map<string, { revision: string; at: number; body: Promise<Uint8Array<ArrayBuffer>> }>();
  private readonly deployer: Deployer;

  constructor(deps: AppServiceDeps) {
    this.deps = deps;
    this.instances = new Instances(deps.runtime, deps.networking, deps.healthTimeoutMs, deps.volumes, deps.secrets);
    this.observed = new InspectCache(deps.runtime, OBSERVED_TTL_MS);
    this.deployer = new Deployer({ ...deps, instances: this.instances, drainMs: deps.drainMs ?? DRAIN_MS });
  }

  /**
   * Applies a deploy's change to the running release's settings and rolls it out. Detached, it
   * answers once the release is recorded and its quota reserved; the outcome arrives as events.
   */
  async deploy(tenant: string, change: DeployChange, options: { detach?: boolean } = {}): Promise<DeployResult> {
    const existing = findApp(this.deps.store.state, tenant, change.name);
    const before = existing?.spec;
    // A redeploy that names no image runs the bytes that run now, not what the tag names meanwhile.
    const digest = change.image === undefined && !change.reset ? servingDigest(existing) : undefined;
    const image = change.image === undefined ? undefined : (this.deps.expandImage?.(change.image) ?? change.image);
    const spec = this.withSecrets(tenant, resolveSpec(image === undefined ? change : { ...change, image }, before));
    await this.deps.volumes?.prepare(tenant, spec);
    if (!options.detach) {
      const record = await this.deployer.deploy(tenant, spec, { digest });
      // What it changed is recorded with the release it committed.
      const changes = record.releases.find((r) => r.version === record.release)?.changes ?? [];
      return { ...(await this.changed(record)), changes };
    }
    const { record, changes } = await new Promise<{ record: AppRecord; changes: SpecChange[] }>((resolve, reject) => {
      this.deployer.deploy(tenant, spec, { digest, onBegun: (record, changes) => resolve({ record, changes }) }).then(
        () => this.observed.clear(),
        (error: unknown) => {
          // Before it began, the caller hears of it; after, deploy.failed carries it.
          reject(error);
          this.deps.logger.info({ tenant, app: spec.name, err: error }, "detached deploy failed");
        },
      );
    });
    return { ...(await this.view(record, { fresh: true })), changes };
  }

  /**
   * The app's latest secret set goes with every deploy; one that lacks a secret the app requires
   * (mc.toml's `secrets`) fails here, before anything starts.
   */
  private withSecrets(tenant: string, resolved: AppSpec): AppSpec {
    const { secrets: _previous, ...rest } = resolved;
    const secrets = this.deps.secrets?.current(tenant, resolved.name);
    const spec: AppSpec = secrets ? { ...rest, secrets } : rest;
    const missing = (spec.requiredSecrets ?? []).filter((name) => secrets?.values[name] === undefined);
    if (missing.length > 0) {
      throw new ApiError(
        "invalid_input",
        `${spec.name} requires secret${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (mc.toml \`secrets\`), not set — set ${missing.length > 1 ? "them" : "it"} first: mc secrets set ${spec.name} ${missing[0]}=… --stage, then deploy`,
        missing.map((name) => ({ field: `secrets.${name}`, message: "is required and not set" })),
      );
    }
    return spec;
  }

  async rollback(tenant: string, name: string, version?: number): Promise<App> {
    const record = await this.deployer.rollback(tenant, name, version);
    // The release's secrets are the app's again: the next deploy keeps them, as it keeps its env.
    await this.deps.secrets?.restore(tenant, name, record.spec.secrets);
    return this.changed(record);
  }

  async scale(tenant: string, name: string, change: ScaleChange): Promise<App> {
    const record = requireAnyApp(this.deps.store.state, tenant, name);
    if (change.count !== undefined) await this.deps.volumes?.prepare(tenant, { ...record.spec, count: change.count });
    return this.changed(await this.deployer.scale(tenant, name, change));
  }

  /** After a change: forget cached engine answers, answer with fresh ones and real health. */
  private changed(record: AppRecord): Promise<App> {
    this.observed.clear();
    return this.view(record, { fresh: true, health: true });
  }

  releases(tenant: string, name: string): ReleaseRecord[] {
    return this.deployer.releases(tenant, name);
  }

  /** Destroys every app of a tenant (tenant deletion). */
  async destroyAllOf(tenant: string): Promise<void> {
    for (const app of this.deps.store.state.apps.filter((a) => a.tenant === tenant)) {
      await this.destroy(tenant, app.name, { evenWhileBusy: true });
    }
    const leftovers = await this.deps.runtime.listInstances({ tenant });
    await this.instances.removeAll(leftovers.map((l) => l.containerId));
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

  /**
   * `{ apps }` as JSON, reused while neither the state nor what the engine said has changed (and
   * never longer than the observations themselves are kept): listing is the hottest call, and
   * serialising every app's view was a quarter of its cost. Kept as UTF-8 bytes: a string would be
   * encoded again for every answer (~30 KB at 50 apps).
   */
  listJson(tenant: string): Promise<Uint8Array<ArrayBuffer>> {
    const revision = `${this.deps.store.revision}/${this.observed.revision}`;
    const cached = this.listings.get(tenant);
    if (cached?.revision === revision && Date.now() - cached.at < OBSERVED_TTL_MS) return cached.body;
    // Keyed by the revision read before building (a change while it builds leaves an entry that is
    // already stale), and shared: concurrent requests after a change wait for one build, not one each.
    const body = this.list(tenant).then((apps) => new TextEncoder().encode(JSON.stringify({ apps })));
    this.listings.set(tenant, { revision, at: Date.now(), body });
    body.catch(() => {
      if (this.listings.get(tenant)?.body === body) this.listings.delete(tenant);
    });
    return body;
  }

  async get(tenant: string, name: string, options: ObserveOptions = {}): Promise<App> {
    return this.view(requireAnyApp(this.deps.store.state, tenant, name), options);
  }

  async stop(tenant: string, name: string): Promise<App> {
    const record = await this.deps.tenantLocks.run(tenant, async () => {
      const record = requireIdleApp(this.deps.store.state, tenant, name);
      // Out of the ingress and DNS first, so no request is sent to an instance that is going away.
      await this.setDesired(record, "stopped");
      await this.deps.networking.publish();
      await Promise.all(record.instances.map((i) => this.deps.runtime.stopInstance(i.containerId)));
      return record;
    });
    this.deps.events.publish({ tenant, app: name, release: record.release, type: "app.stopped", message: `${name} stopped` });
    return this.changed(record);
  }

  async start(tenant: string, name: string): Promise<App> {
    const record = await this.deps.tenantLocks.run(tenant, async () => {
      const record = requireIdleApp(this.deps.store.state, tenant, name);
      if (record.desired === "stopped") {
        assertWithinQuota(tenant, this.deps.quotaOf(tenant), usageOf(this.deps.store.state, tenant, name), {
          app: name,
          current: NOTHING,
          next: resourcesOf(record.spec),
        });
      }
      const network = await this.instances.network(tenant);
      // The count may have changed while it was stopped: start what exists, add or drop the difference.
      const kept = record.instances.slice(0, record.spec.count);
      const running = await Promise.all(kept.map((i) => this.ensureRunning(record, i, network)));
      while (running.length < record.spec.count) running.push(await this.instances.create(tenant, pinnedSpec(record), network));
      await this.instances.removeAll(record.instances.slice(record.spec.count).map((i) => i.containerId));
      await this.persistInstances(
        record,
        running.map((i) => toInstanceRecord(i, record.release)),
      );
      await Promise.all(running.map((i) => this.instances.waitHealthy(i, record.spec)));
      const healthy = await Promise.all(running.map((i) => this.deps.runtime.inspectInstance(i.containerId)));
      await this.persistInstances(
        record,
        healthy.flatMap((i) => (i ? [toInstanceRecord(i, record.release)] : [])),
      );
      await this.setDesired(record, "running");
      await this.deps.networking.publish();
      return record;
    });
    this.deps.events.publish({ tenant, app: name, release: record.release, type: "app.started", message: `${name} started` });
    return this.changed(record);
  }

  async restart(tenant: string, name: string): Promise<App> {
    const record = await this.deps.tenantLocks.run(tenant, async () => {
      const record = requireIdleApp(this.deps.store.state, tenant, name);
      // One at a time, each healthy again before the next: the others keep serving.
      for (const instance of record.instances) {
        this.deps.expectExit?.(instance.containerId);
        await this.deps.runtime.restartInstance(instance.containerId);
        const current = await this.deps.runtime.inspectInstance(instance.containerId);
        if (!current) continue;
        await this.instances.waitHealthy(current, record.spec);
        const fresh = (await this.deps.runtime.inspectInstance(instance.containerId)) ?? current;
        // A restarted container may come back on another address.
        await this.persistInstances(
          record,
          record.instances.map((i) => (i.id === instance.id ? toInstanceRecord(fresh, i.release, i.restarts) : i)),
        );
        await this.deps.networking.publish();
      }
      await this.setDesired(record, "running");
      return record;
    });
    this.deps.events.publish({
      tenant,
      app: name,
      release: record.release,
      type: "app.restarted",
      message: `${name} restarted: ${record.instances.length} instance(s), one at a time`,
    });
    return this.changed(record);
  }

  async destroy(tenant: string, name: string, options: { evenWhileBusy?: boolean } = {}): Promise<void> {
    await this.deps.tenantLocks.run(tenant, async () => {
      const record = options.evenWhileBusy
        ? requireAnyApp(this.deps.store.state, tenant, name)
        : requireIdleApp(this.deps.store.state, tenant, name);
      const announceDomains = await this.deps.store.update((state) => {
        state.apps = state.apps.filter((a) => !(a.tenant === tenant && a.name === name));
        this.deps.secrets?.dropWith(state, tenant, name);
        return this.deps.domains?.dropWith(state, tenant, name);
      });
      await this.deps.networking.publish();
      announceDomains?.();
      // Also sweep containers the record lost track of: labels are the truth.
      const labelled = await this.deps.runtime.listInstances({ tenant, app: name });
      await this.instances.removeAll([...new Set([...record.instances.map((i) => i.containerId), ...labelled.map((l) => l.containerId)])]);
      this.deps.logger.info({ tenant, app: name }, "app destroyed");
    });
    this.deps.events.publish({ tenant, app: name, type: "app.destroyed", message: `${name} destroyed` });
  }

  /**
   * Log lines of every instance of the app as NDJSON, in time order. Following, the stream keeps
   * up with the app: new releases' instances join, restarted ones are picked up again.
   */
  async logs(tenant: string, name: string, options: LogReadOptions): Promise<Readable> {
    requireAnyApp(this.deps.store.state, tenant, name);
    const query: LogQuery = {
      tail: options.tail,
      sinceMs: options.sinceSeconds === undefined ? undefined : options.sinceSeconds * 1000,
      grep: options.grep === undefined ? undefined : compileGrep(options.grep),
      instance: options.instance,
      release: options.release,
    };
    if (!options.follow) return await this.deps.storedLogs.read(tenant, name, query);
    const releaseOf = (instance: string) => releaseOfInstance(this.deps.store.state, tenant, name, instance);
    return followLogs(
      {
        runtime: this.deps.runtime,
        instancesOf: async () => {
          const current = findApp(this.deps.store.state, tenant, name);
          if (!current?.operation) return current?.instances;
          // A release rolling out: its containers are recorded when it commits, but they join the
          // stream as soon as they exist, so their start-up lines arrive live and in order.
          const known = new Set(current.instances.map((i) => i.containerId));
          const labelled = await this.deps.runtime.listInstances({ tenant, app: name });
          return [
            ...current.instances,
            ...labelled.filter((l) => !known.has(l.containerId)).map((l) => ({ id: l.instanceId, containerId: l.containerId })),
          ];
        },
        isRunning: async (containerId) => (await this.observed.get(containerId))?.state === "running",
        platformLines: (push) => {
          const listener = (event: PlatformEvent) => {
            if (event.tenant === tenant && event.app === name && PLATFORM_LOG_EVENTS.has(event.type)) push(platformLine(event));
          };
          this.deps.events.on("event", listener);
          return () => this.deps.events.off("event", listener);
        },
        keep: (line) =>
          (query.instance === undefined || line.instance === query.instance) &&
          (query.release === undefined || (line.instance !== PLATFORM && releaseOf(line.instance) === query.release)) &&
          (query.grep === undefined || query.grep(line.line)),
      },
      { tail: options.tail, sinceSeconds: options.sinceSeconds },
    );
  }

  /** Starts an instance's container, recreating it when it has gone missing. */
  private async ensureRunning(record: AppRecord, instance: InstanceRecord, network: TenantNetwork): Promise<RuntimeInstance> {
    const current = await this.deps.runtime.inspectInstance(instance.containerId);
    if (!current) return this.instances.create(record.tenant, pinnedSpec(record), network);
    if (current.state !== "running") await this.deps.runtime.startInstance(instance.containerId);
    return (await this.deps.runtime.inspectInstance(instance.containerId)) ?? current;
  }

  /**
   * The tenant network outlives its apps (the next deploy needs no new network and no DNS reload);
   * it goes with the tenant. Call with the tenant lock held.
   */
  async removeTenantNetwork(tenant: string): Promise<void> {
    await this.deps.runtime.removeNetworkIfUnused(tenant);
    await this.deps.networking.detachNetwork(tenant);
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
        const runtime =
          options.fresh || options.detailed
            ? await this.deps.runtime.inspectInstance(instance.containerId)
            : await this.observed.get(instance.containerId);
        const running = runtime?.state === "running";
        let healthy: boolean | undefined;
        // The sampler's latest figures: the engine's one-shot stats took ~1.5 s per instance.
        const stats = options.detailed && running ? await this.deps.latestStatsOf?.(instance.containerId) : undefined;
        if ((options.detailed || options.health) && running) {
          healthy =
            runtime.ip === null || record.spec.port === undefined
              ? true
              : await probe(runtime.ip, { ...record.spec, port: record.spec.port });
        }
        observed.set(instance.id, {
          runtime,
          healthy,
          stats,
          crashLooping: this.deps.isCrashLooping?.(instance.id) ?? false,
          lastExit: this.deps.lastExitOf?.(instance.id),
        });
      }),
    );
    const domains = this.deps.domains?.ofApp(record.tenant, record.name) ?? [];
    return toAppView(record, observed, this.deps.networking.urls(record.tenant, record.name), domains);
  }
}

function platformLine(event: PlatformEvent): LogLine {
  return { ts: event.time, instance: PLATFORM, stream: "stderr", line: event.message };
}
