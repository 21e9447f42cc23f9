import { ApiError } from "@minicloud/shared";
import type { Logger } from "pino";
import { type Instances, toInstanceRecord } from "../apps/instances.ts";
import { pinnedSpec, releaseRecord } from "../apps/records.ts";
import type { KeyedMutex } from "../common/keyed-mutex.ts";
import type { EventBus } from "../events/bus.ts";
import type { Runtime, RuntimeInstance, TenantNetwork } from "../runtime/runtime.ts";
import type { AppRecord, InstanceRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";

export interface ReconcilerDeps {
  store: Store;
  runtime: Runtime;
  instances: Instances;
  tenantLocks: KeyedMutex;
  events: EventBus;
  logger: Logger;
  publish: () => Promise<void>;
  /** A crashed instance whose restart self-healing has scheduled: left to the backoff. */
  isPendingRestart: (instanceId: string) => boolean;
  /** Told of every finished pass (the daemon's metrics count them). */
  onPass?: (outcome: "ok" | "failed") => void;
}

/**
 * Makes what runs match what state says: at start, after the engine's event stream was lost, and
 * periodically as a safety net. It adopts running containers, starts stopped ones and replaces
 * missing ones of running apps, stops those of stopped apps, fixes instance counts, removes
 * containers no record owns (orphans of a crash), and then republishes routes and records.
 * Apps with a deploy or scale in flight are left alone: their new containers are not committed yet.
 */
export class Reconciler {
  private readonly deps: ReconcilerDeps;
  private running: Promise<void> | undefined;
  /** The last reason an app's instance could not be started, so it is reported once. */
  private readonly refused = new Map<string, string>();

  constructor(deps: ReconcilerDeps) {
    this.deps = deps;
  }

  /**
   * At start only: an operation recorded in state was cut short by the daemon's own death. A first
   * deploy leaves nothing (its name and quota are released); a later one leaves its release failed
   * and the previous release serving. Their uncommitted containers become orphans, removed by run().
   */
  async recoverInterrupted(): Promise<void> {
    const { store, events } = this.deps;
    const interrupted = store.state.apps
      .filter((a) => a.operation || a.phase === "deploying")
      .map((a) => ({
        tenant: a.tenant,
        name: a.name,
        first: a.phase === "deploying",
        kind: a.operation?.kind ?? "deploy",
        version: a.operation?.version,
        release: a.release,
      }));
    if (interrupted.length === 0) return;
    await store.update((state) => {
      state.apps = state.apps.filter((a) => a.phase !== "deploying");
      for (const app of state.apps) {
        const operation = app.operation;
        if (!operation) continue;
        if (operation.kind === "deploy") {
          const reason = "interrupted: the daemon stopped during the deploy";
          app.releases.push(releaseRecord(operation.version, operation.spec, "failed", undefined, reason, [], operation.startedAt));
        }
        app.operation = undefined;
      }
    });
    for (const app of interrupted) {
      events.publish({
        tenant: app.tenant,
        app: app.name,
        release: app.version,
        type: "deploy.failed",
        message: `the ${app.kind} of ${app.name} was interrupted by a daemon restart; ${app.first ? "nothing was kept" : `release ${app.release} keeps serving`}`,
        data: { interrupted: true },
      });
    }
  }

  /** One pass; concurrent callers share it. */
  run(): Promise<void> {
    this.running ??= this.pass()
      .then(
        () => this.deps.onPass?.("ok"),
        (error: unknown) => {
          this.deps.onPass?.("failed");
          throw error;
        },
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async pass(): Promise<void> {
    const { store, runtime, tenantLocks } = this.deps;
    const containers = await runtime.listInstances();
    const tenants = new Set([...store.state.apps.map((a) => a.tenant), ...containers.map((c) => c.tenant)]);
    let changed = false;
    for (const tenant of tenants) {
      changed =
        (await tenantLocks.run(tenant, async () => {
          let tenantChanged = false;
          const apps = store.state.apps.filter((a) => a.tenant === tenant);
          for (const app of apps) {
            if (app.operation || app.phase === "deploying") continue;
            if (await this.reconcileApp(app, containers)) tenantChanged = true;
          }
          // Containers no record owns, outside any operation in flight.
          const owned = new Set(store.state.apps.flatMap((a) => a.instances.map((i) => i.containerId)));
          const busy = new Set(apps.filter((a) => a.operation || a.phase === "deploying").map((a) => a.name));
          const orphans = containers.filter((c) => c.tenant === tenant && !owned.has(c.containerId) && !busy.has(c.app));
          if (orphans.length > 0) {
            this.deps.logger.info({ tenant, containers: orphans.map((o) => o.containerId.slice(0, 12)) }, "removing orphan containers");
            await this.deps.instances.removeAll(orphans.map((o) => o.containerId));
          }
          return tenantChanged;
        })) || changed;
    }
    if (changed) await this.deps.publish();
  }

  /** Brings one idle app in line with its record; true when the record changed. */
  private async reconcileApp(app: AppRecord, containers: RuntimeInstance[]): Promise<boolean> {
    const { runtime, instances, store } = this.deps;
    const byId = new Map(containers.map((c) => [c.containerId, c]));
    if (app.desired === "stopped") {
      const running = app.instances.filter((i) => byId.get(i.containerId)?.state === "running");
      await Promise.all(running.map((i) => runtime.stopInstance(i.containerId)));
      return false;
    }
    const next: InstanceRecord[] = [];
    let changed = false;
    // Only a replacement needs the network (and its resolver); most passes change nothing.
    const network = () => instances.network(app.tenant);
    for (const instance of app.instances.slice(0, app.spec.count)) {
      const container = byId.get(instance.containerId);
      if (!container) {
        const replacement = await this.create(app, await network());
        if (!replacement) {
          next.push(instance);
          continue;
        }
        next.push(toInstanceRecord(replacement, app.release));
        this.started(
          app,
          replacement.instanceId,
          `instance ${instance.id} of ${app.name} was missing; replaced by ${replacement.instanceId}`,
        );
        changed = true;
        continue;
      }
      if (container.state !== "running" && !this.deps.isPendingRestart(instance.id)) {
        await runtime.startInstance(container.containerId);
        const fresh = await runtime.inspectInstance(container.containerId);
        next.push({ ...instance, ip: fresh?.ip ?? null });
        this.started(app, instance.id, `instance ${instance.id} of ${app.name} was not running; started`);
        changed = true;
        continue;
      }
      if (container.state === "running" && container.ip !== instance.ip) changed = true;
      next.push(container.state === "running" ? { ...instance, ip: container.ip } : instance);
    }
    const surplus = app.instances.slice(app.spec.count);
    if (surplus.length > 0) {
      await instances.removeAll(surplus.map((i) => i.containerId));
      changed = true;
    }
    while (next.length < app.spec.count) {
      const added = await this.create(app, await network());
      if (!added) break;
      next.push(toInstanceRecord(added, app.release));
      this.started(app, added.instanceId, `${app.name} had fewer instances than its count; started ${added.instanceId}`);
      changed = true;
    }
    if (changed) {
      await store.update(() => {
        app.instances = next;
      });
    }
    return changed;
  }

  /**
   * A new instance of the app's release, or undefined when it cannot start (say, a secret that does
   * not open): the daemon goes on with the other apps and says why, once per reason.
   */
  private async create(app: AppRecord, network: TenantNetwork): Promise<RuntimeInstance | undefined> {
    const key = `${app.tenant}/${app.name}`;
    try {
      const created = await this.deps.instances.create(app.tenant, pinnedSpec(app), network);
      this.refused.delete(key);
      return created;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (this.refused.get(key) !== error.message) {
        this.refused.set(key, error.message);
        this.deps.logger.warn({ tenant: app.tenant, app: app.name, err: error }, "an instance could not be started");
        this.deps.events.publish({
          tenant: app.tenant,
          app: app.name,
          release: app.release,
          type: "instance.start_failed",
          message: `an instance of ${app.name} could not be started: ${error.message}`,
          data: { code: error.code },
        });
      }
      return undefined;
    }
  }

  private started(app: AppRecord, instance: string, message: string): void {
    this.deps.events.publish({ tenant: app.tenant, app: app.name, instance, release: app.release, type: "instance.started", message });
  }
}
