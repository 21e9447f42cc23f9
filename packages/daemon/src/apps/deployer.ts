import { ApiError, type AppSpec, type QuotaLimits, type ScaleChange, type SpecChange } from "@minicloud/shared";
import type { Logger } from "pino";
import type { KeyedMutex } from "../common/keyed-mutex.ts";
import { Stopwatch } from "../common/stopwatch.ts";
import type { EventBus } from "../events/bus.ts";
import { assertWithinQuota, NOTHING, resourcesOf, usageOf } from "../quota/usage.ts";
import { type ImageInfo, ImageNotFoundError, type Runtime } from "../runtime/runtime.ts";
import type { AppRecord, InstanceRecord, ReleaseRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import type { AppImages } from "./images-port.ts";
import type { Instances } from "./instances.ts";
import type { AppNetworking } from "./networking-port.ts";
import {
  assertIdle,
  findApp,
  isServing,
  pinnedSpec,
  prunedReleases,
  RELEASE_HISTORY,
  releaseRecord,
  requireAnyApp,
  requireIdleApp,
  servingDigest,
} from "./records.ts";
import { specChanges } from "./spec.ts";

export interface DeployOptions {
  rollbackOf?: number;
  /** The image id the rolled-back release ran: the deploy runs exactly those bytes. */
  digest?: string | undefined;
  /** Called once the release is recorded and its quota reserved (a detached deploy answers then). */
  onBegun?: (record: AppRecord, changes: SpecChange[]) => void;
}

export interface DeployerDeps {
  store: Store;
  runtime: Runtime;
  /** Who may run what, and pulls (images/). */
  images: AppImages;
  instances: Instances;
  networking: AppNetworking;
  tenantLocks: KeyedMutex;
  events: EventBus;
  logger: Logger;
  quotaOf: (tenant: string) => QuotaLimits;
  /** How long replaced instances keep running after the routes moved, for requests in flight. */
  drainMs: number;
  /** Releases kept per app (RELEASE_HISTORY when unset). */
  releaseHistory?: number | undefined;
  /** Where the daemon's builds are tagged (`<prefix>-images/`): images of pruned releases there may go. */
  builtImagePrefix?: string | undefined;
  /** Tells self-healing that the next exit of a container is on purpose. */
  expectExit?: ((containerId: string) => void) | undefined;
}

/**
 * Deploys, rollbacks and scaling. A deploy of an existing app is rolling: the new release's
 * instances start and must pass their health check, the routes and records switch to them, and only
 * then do the old ones drain and stop. A release that fails its health check is removed and the old
 * one keeps serving. Each step that matters is in state first, so a daemon killed at any moment
 * comes back to a consistent picture (see reconcile/).
 */
export class Deployer {
  private readonly deps: DeployerDeps;

  constructor(deps: DeployerDeps) {
    this.deps = deps;
  }

  async deploy(tenant: string, requested: AppSpec, options: DeployOptions = {}): Promise<AppRecord> {
    let spec = requested;
    const { events } = this.deps;
    const watch = new Stopwatch();
    // Another tenant's image is answered exactly like a missing one, so names do not leak; one the
    // engine lacks is pulled through its registry with the tenant's credentials.
    const image = options.digest
      ? await this.pinnedImage(tenant, spec.image, options.digest)
      : await this.deps.images.forDeploy(tenant, spec.image);
    watch.lap("image");
    // No port anywhere else: the image's EXPOSE (its Dockerfile's) says where it listens.
    const exposed = image.exposedPorts[0];
    if (spec.port === undefined && exposed !== undefined) spec = { ...spec, port: exposed };
    if (spec.protocol === "tcp" && spec.port === undefined) {
      throw new ApiError(
        "invalid_input",
        "port: a tcp app needs the port it listens on (--port, or EXPOSE in its image), for its health check and its address",
        [{ field: "port", message: "is required with protocol tcp" }],
      );
    }
    const changes = specChanges(findApp(this.deps.store.state, tenant, spec.name)?.spec, spec);
    const { record, version, first } = await this.begin(tenant, "deploy", spec);
    watch.lap("reserve");
    options.onBegun?.(record, changes);
    // A new host's route loads into Caddy while the containers start (see networking/exposure.ts).
    if (first) void this.deps.networking.publish();
    events.publish({
      tenant,
      app: spec.name,
      release: version,
      type: "deploy.started",
      message: `release ${version} of ${spec.name} started: ${spec.count} × ${spec.image}`,
      data: {
        image: spec.image,
        count: spec.count,
        rollbackOf: options.rollbackOf ?? null,
        changes,
        healthTimeoutSeconds: this.deps.instances.healthTimeoutMsOf(spec) / 1000,
      },
    });
    // A volume is read-write by one container at a time: the running instance stops before the new
    // one mounts it (a short gap, documented), and starts again if the new release fails.
    const handedOver = !first && (spec.volumes?.length || record.spec.volumes?.length) ? await this.stopForHandover(record) : [];
    let created: InstanceRecord[];
    try {
      // By id: a tag that moves meanwhile (a pull, a build) does not change what this release runs.
      created = await this.deps.instances.startHealthy(tenant, image.id ? { ...spec, image: image.id } : spec, version, spec.count, watch);
    } catch (error) {
      await Promise.all(handedOver.map((i) => this.deps.runtime.startInstance(i.containerId).catch(() => undefined)));
      await this.abandon(record, spec, version, first, error, options.rollbackOf, changes);
      throw error instanceof ImageNotFoundError ? imageMissing(spec.image) : error;
    }
    const replaced = await this.commitRelease(record, spec, version, created, options.rollbackOf, changes, image.id);
    watch.lap("commit");
    await this.deps.networking.publish();
    watch.lap("publish");
    this.drain(replaced);
    events.publish({
      tenant,
      app: spec.name,
      release: version,
      type: "deploy.succeeded",
      message: `release ${version} of ${spec.name} serves: ${created.length} healthy instance(s)${replaced.length ? `, ${replaced.length} replaced` : ""}`,
      data: {
        instances: created.map((i) => i.id),
        replaced: replaced.map((i) => i.id),
        url: this.deps.networking.urls(tenant, spec.name).http,
      },
    });
    this.deps.logger.info({ tenant, app: spec.name, release: version, instances: created.length, ms: watch.laps }, "release deployed");
    return record;
  }

  /** Deploys an earlier release's spec again (its image was kept) as a new release. */
  async rollback(tenant: string, name: string, version?: number): Promise<AppRecord> {
    const record = requireIdleApp(this.deps.store.state, tenant, name);
    const target =
      version === undefined
        ? [...record.releases].reverse().find((r) => r.version < record.release && r.status === "superseded")
        : record.releases.find((r) => r.version === version);
    if (!target) {
      throw new ApiError(
        version === undefined ? "conflict" : "not_found",
        version === undefined
          ? `${name} has no earlier release to roll back to — see \`mc releases ${name}\``
          : `release ${version} of ${name} not found — see \`mc releases ${name}\``,
      );
    }
    if (target.status === "failed")
      throw new ApiError("conflict", `release ${target.version} of ${name} failed its health check; pick another`);
    // The release's image and settings; the count stays what it is now (scaling is not a release).
    return this.deploy(tenant, { ...target.spec, name, count: record.spec.count }, { rollbackOf: target.version, digest: target.digest });
  }

  /** A rollback runs the bytes its release ran, never whatever the tag names now. */
  private async pinnedImage(tenant: string, reference: string, id: string): Promise<ImageInfo> {
    const image = await this.deps.images.usableById(tenant, id);
    if (!image)
      throw new ApiError(
        "conflict",
        `the image that release ran (${reference}, ${id.slice(0, 19)}) is no longer on the engine — deploy the image again instead (mc deploy --image ${reference})`,
      );
    return image;
  }

  /**
   * A new count runs in place (instances are added, health-checked and routed, or unrouted and
   * removed); new resources (memory, CPUs) are a rolling deploy of a new release.
   */
  async scale(tenant: string, name: string, change: ScaleChange): Promise<AppRecord> {
    const record = requireIdleApp(this.deps.store.state, tenant, name);
    const spec: AppSpec = {
      ...record.spec,
      ...(change.count === undefined ? {} : { count: change.count }),
      ...(change.memory === undefined ? {} : { memory: change.memory }),
      ...(change.cpus === undefined ? {} : { cpus: change.cpus }),
    };
    const resized = spec.memory !== record.spec.memory || spec.cpus !== record.spec.cpus;
    const before = record.spec.count;
    const result = resized ? await this.deploy(tenant, spec, { digest: servingDigest(record) }) : await this.rescale(tenant, record, spec);
    this.deps.events.publish({
      tenant,
      app: name,
      release: result.release,
      type: "app.scaled",
      message: `${name} scaled from ${before} to ${spec.count} instance(s)${resized ? ` with ${spec.cpus} CPU and ${spec.memory} bytes each` : ""}`,
      data: { from: before, to: spec.count, memory: spec.memory, cpus: spec.cpus },
    });
    return result;
  }

  private async rescale(tenant: string, record: AppRecord, spec: AppSpec): Promise<AppRecord> {
    await this.begin(tenant, "scale", spec);
    const current = record.instances.length;
    if (record.desired === "running" && spec.count > current) {
      let added: InstanceRecord[];
      try {
        added = await this.deps.instances.startHealthy(tenant, pinnedSpec(record, spec), record.release, spec.count - current);
      } catch (error) {
        await this.finish(record, () => undefined);
        throw error;
      }
      await this.finish(record, () => {
        record.instances = [...record.instances, ...added];
        setSpec(record, spec);
      });
      await this.deps.networking.publish();
      return record;
    }
    const surplus = record.instances.slice(spec.count);
    await this.finish(record, () => {
      record.instances = record.instances.slice(0, spec.count);
      setSpec(record, spec);
    });
    await this.deps.networking.publish();
    this.drain(surplus);
    return record;
  }

  /**
   * Under the tenant lock: no other operation on the app, the quota allows what it will run, and
   * the operation is recorded (a first deploy also reserves the name).
   */
  private begin(tenant: string, kind: "deploy" | "scale", spec: AppSpec): Promise<{ record: AppRecord; version: number; first: boolean }> {
    const { store, tenantLocks } = this.deps;
    return tenantLocks.run(tenant, async () => {
      const existing = findApp(store.state, tenant, spec.name);
      if (existing) assertIdle(existing);
      if (!existing) this.assertAppCount(tenant);
      try {
        assertWithinQuota(tenant, this.deps.quotaOf(tenant), usageOf(store.state, tenant, spec.name), {
          app: spec.name,
          current: existing && isServing(existing) ? resourcesOf(existing.spec) : NOTHING,
          next: resourcesOf(spec),
        });
      } catch (error) {
        this.deps.events.publish({
          tenant,
          app: spec.name,
          type: "quota.rejected",
          message: (error as Error).message,
          data: {
            requested: resourcesOf(spec),
            holds: existing && isServing(existing) ? resourcesOf(existing.spec) : NOTHING,
            others: usageOf(store.state, tenant, spec.name),
            limits: this.deps.quotaOf(tenant),
          },
        });
        throw error;
      }
      const now = new Date().toISOString();
      const version =
        kind === "scale" && existing ? existing.release : Math.max(0, ...(existing?.releases.map((r) => r.version) ?? [])) + 1;
      const operation = { kind, spec, version, startedAt: now };
      if (existing) {
        await store.update(() => {
          existing.operation = operation;
        });
        return { record: existing, version, first: false };
      }
      const record: AppRecord = {
        tenant,
        name: spec.name,
        spec,
        desired: "running",
        phase: "deploying",
        instances: [],
        release: 0,
        releases: [],
        operation,
        createdAt: now,
        updatedAt: now,
      };
      // From here on the record is the one in the state, so the store sees every change to it.
      const stored = await store.update((state) => {
        state.apps.push(record);
        return state.apps.at(-1) ?? record;
      });
      return { record: stored, version, first: true };
    });
  }

  /** Apps count whatever their count: each keeps its releases and env in state. */
  private assertAppCount(tenant: string): void {
    const limit = this.deps.quotaOf(tenant).maxApps;
    const apps = this.deps.store.state.apps.filter((a) => a.tenant === tenant).length;
    if (apps < limit) return;
    const message = `quota exceeded for apps in tenant ${tenant}: it has ${apps} app(s), stopped ones included, the limit is ${limit} — destroy one (mc apps destroy) or ask an admin to raise it (mc tenants quota --max-apps)`;
    this.deps.events.publish({ tenant, type: "quota.rejected", message, data: { apps, limit } });
    throw new ApiError("quota_exceeded", message);
  }

  private async stopForHandover(record: AppRecord): Promise<InstanceRecord[]> {
    for (const instance of record.instances) this.deps.expectExit?.(instance.containerId);
    await Promise.all(record.instances.map((i) => this.deps.runtime.stopInstance(i.containerId)));
    return record.instances;
  }

  /** Ends the operation with a change to the record, persisted at once. */
  private finish(record: AppRecord, change: () => void): Promise<void> {
    return this.deps.tenantLocks.run(record.tenant, () =>
      this.deps.store.update(() => {
        change();
        record.operation = undefined;
        record.updatedAt = new Date().toISOString();
      }),
    );
  }

  /** The new release serves; returns the instances it replaced. */
  private async commitRelease(
    record: AppRecord,
    spec: AppSpec,
    version: number,
    created: InstanceRecord[],
    rollbackOf: number | undefined,
    changes: SpecChange[],
    digest: string | undefined,
  ): Promise<InstanceRecord[]> {
    const replaced = record.instances;
    let dropped: ReleaseRecord[] = [];
    await this.finish(record, () => {
      for (const release of record.releases) if (release.status === "active") release.status = "superseded";
      record.releases.push({ ...releaseRecord(version, spec, "active", rollbackOf, null, changes), ...(digest ? { digest } : {}) });
      const kept = prunedReleases(record.releases, version, this.deps.releaseHistory ?? RELEASE_HISTORY);
      dropped = record.releases.filter((r) => !kept.includes(r));
      record.releases = kept;
      record.instances = created;
      record.spec = spec;
      record.release = version;
      record.phase = "ready";
      record.desired = "running";
    });
    this.removeBuiltImages(record.tenant, dropped);
    return replaced;
  }

  /**
   * Images the daemon built for pruned releases, once nothing of the tenant refers to them (a kept
   * release, a deploy in flight, any app): they count in the tenant's storage. Host images and
   * anything not tagged as the daemon's build are never removed. In the background; a failure is
   * logged and the image stays (removed with the tenant).
   */
  private removeBuiltImages(tenant: string, dropped: ReleaseRecord[]): void {
    const prefix = this.deps.builtImagePrefix;
    if (!prefix) return;
    const candidates = new Set(dropped.map((r) => r.spec.image).filter((image) => image.startsWith(`${prefix}${tenant}/`)));
    if (candidates.size === 0) return;
    const inUse = (names: string[]): boolean =>
      this.deps.store.state.apps.some(
        (a) =>
          a.tenant === tenant &&
          [a.spec, a.operation?.spec, ...a.releases.map((r) => r.spec)].some((spec) => spec !== undefined && names.includes(spec.image)),
      );
    void (async () => {
      for (const image of candidates) {
        if (inUse([image])) continue;
        const info = await this.deps.runtime.inspectImage(image);
        // Its own build only, and under none of its other names either (a kept release may use a digest).
        if (!info || info.tenant !== tenant || inUse([image, ...info.names])) continue;
        await this.deps.runtime.removeImage(image);
        this.deps.logger.info({ tenant, image }, "image of a pruned release removed");
      }
    })().catch((error) => this.deps.logger.warn({ err: error, tenant }, "removing images of pruned releases failed"));
  }

  /** A release that did not become healthy: the old one keeps serving, a first deploy leaves nothing. */
  private async abandon(
    record: AppRecord,
    spec: AppSpec,
    version: number,
    first: boolean,
    error: unknown,
    rollbackOf: number | undefined,
    changes: SpecChange[],
  ): Promise<void> {
    const reason = (error as Error).message.split("\n")[0] ?? "failed";
    const { store, tenantLocks, events } = this.deps;
    await tenantLocks.run(record.tenant, async () => {
      await store.update((state) => {
        if (first) {
          state.apps = state.apps.filter((a) => a !== record);
          return;
        }
        record.releases.push(releaseRecord(version, spec, "failed", rollbackOf, reason, changes));
        record.releases = prunedReleases(record.releases, record.release, this.deps.releaseHistory ?? RELEASE_HISTORY);
        record.operation = undefined;
      });
    });
    // A first deploy's host was routed while it started; it goes with the app.
    if (first) await this.deps.networking.publish();
    events.publish({
      tenant: record.tenant,
      app: record.name,
      release: version,
      type: "deploy.failed",
      message: `release ${version} of ${record.name} failed: ${reason}`,
      data: { reason, error: (error as Error).message },
    });
    if (!first) {
      events.publish({
        tenant: record.tenant,
        app: record.name,
        release: record.release,
        type: "deploy.rolled_back",
        message: `${record.name} stays on release ${record.release}; release ${version} was removed`,
        data: { failedRelease: version },
      });
    }
  }

  /**
   * Replaced instances are already out of DNS and the ingress; they keep running a moment for
   * requests in flight, then go. In the background: the caller's answer does not wait for it, and
   * if the daemon dies first, reconciliation removes them as orphans.
   */
  private drain(replaced: InstanceRecord[]): void {
    if (replaced.length === 0) return;
    setTimeout(() => {
      this.deps.instances
        .removeAll(replaced.map((i) => i.containerId))
        .catch((error) => this.deps.logger.warn({ err: error }, "removing replaced instances failed"));
    }, this.deps.drainMs).unref();
  }

  releases(tenant: string, name: string): ReleaseRecord[] {
    return requireAnyApp(this.deps.store.state, tenant, name).releases;
  }
}

/** A new count belongs to the serving release too, so its record says what runs. */
function setSpec(record: AppRecord, spec: AppSpec): void {
  record.spec = spec;
  const active = record.releases.find((r) => r.version === record.release);
  if (active) active.spec = spec;
}

export function imageMissing(image: string): ApiError {
  return new ApiError(
    "invalid_input",
    `image ${image} was not found on the engine — build it first (docker build -t ${image} .) or check the name with \`docker images\``,
    [{ field: "image", message: "not found on the engine" }],
  );
}
