import { formatBytes } from "@minicloud/shared";
import type { Logger } from "pino";
import type { EventBus } from "../events/bus.ts";
import type { Runtime, RuntimeEvent } from "../runtime/runtime.ts";
import type { AppRecord, InstanceRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import { backoffMs, type CrashPolicy, isCrashLoop, recentCrashes } from "./crash-policy.ts";

export interface HealerDeps {
  store: Store;
  runtime: Runtime;
  events: EventBus;
  logger: Logger;
  policy: CrashPolicy;
  /** Routes and records changed (an instance went down or came back). */
  publish: () => Promise<void>;
  /** The event stream broke and came back: what happened meanwhile is unknown. */
  onResync: () => void;
  /** Every engine event about a container of ours (cached answers about it are stale now). */
  onEngineEvent?: (event: RuntimeEvent) => void;
}

const REWATCH_MS = 1000;

/** Why an instance last stopped on its own: "out of memory (limit 256m)" or "exited with code 1". */
export interface LastExit {
  at: string;
  reason: string;
  outOfMemory: boolean;
}

/**
 * Self-healing: watches the engine's container events and restarts an instance of a running app
 * that died, with exponential backoff; many crashes in a short time make it crash-looping (shown in
 * `mc status`, an event), and the backoff keeps growing instead of hammering the host.
 */
export class Healer {
  private readonly deps: HealerDeps;
  private readonly crashes = new Map<string, number[]>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly down = new Set<string>();
  private readonly expected = new Set<string>();
  /** Containers the engine reported out of memory, until their exit is handled. */
  private readonly outOfMemory = new Set<string>();
  /** Per instance, why it last stopped on its own (what `mc status` shows). */
  private readonly lastExits = new Map<string, LastExit>();
  private watcher: { stop(): void } | undefined;
  private stopped = false;
  private rewatchTimer: NodeJS.Timeout | undefined;

  constructor(deps: HealerDeps) {
    this.deps = deps;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.watcher = await this.deps.runtime.watchEvents(
      (event) => this.handle(event),
      (error) => this.rewatch(error),
    );
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.stop();
    clearTimeout(this.rewatchTimer);
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  /** The next exit of this container is on purpose (a restart the user asked for). */
  expectExit(containerId: string): void {
    this.expected.add(containerId);
  }

  /** Out of the routes: it died and has not been restarted yet. */
  isDown(instanceId: string): boolean {
    return this.down.has(instanceId);
  }

  /** A restart of it is scheduled: reconciliation leaves it to the backoff. */
  isPending(instanceId: string): boolean {
    return this.pending.has(instanceId);
  }

  /** Why the instance last died on its own, if it did since the daemon started. */
  lastExit(instanceId: string): LastExit | undefined {
    return this.lastExits.get(instanceId);
  }

  isCrashLooping(instanceId: string): boolean {
    return isCrashLoop(recentCrashes(this.crashes.get(instanceId) ?? [], Date.now(), this.deps.policy).length, this.deps.policy);
  }

  private rewatch(error?: Error): void {
    if (this.stopped) return;
    this.deps.logger.warn({ err: error }, "the engine's event stream ended; watching again");
    this.rewatchTimer = setTimeout(() => {
      this.start().then(
        () => this.deps.onResync(),
        () => this.rewatch(),
      );
    }, REWATCH_MS);
    this.rewatchTimer.unref();
  }

  private handle(event: RuntimeEvent): void {
    this.deps.onEngineEvent?.(event);
    if (event.action === "start") {
      this.started(event.containerId);
      return;
    }
    if (event.action === "oom") {
      this.outOfMemory.add(event.containerId);
      return;
    }
    if (event.action !== "die") return;
    // The engine says "oom" before "die"; exit 137 alone could also be a kill -9 from inside.
    const oom = this.outOfMemory.delete(event.containerId);
    if (this.expected.delete(event.containerId)) return;
    const found = this.locate(event.containerId);
    // Not ours any more (replaced, removed), or stopped on purpose.
    if (found?.record.desired !== "running" || this.pending.has(found.instance.id)) return;
    const { record, instance } = found;
    const now = Date.now();
    const recent = [...recentCrashes(this.crashes.get(instance.id) ?? [], now, this.deps.policy), now];
    this.crashes.set(instance.id, recent);
    const delay = backoffMs(recent.length, this.deps.policy);
    this.down.add(instance.id);
    void this.deps.publish();
    const base = { tenant: record.tenant, app: record.name, instance: instance.id, release: instance.release };
    const reason = oom ? `out of memory (limit ${formatBytes(record.spec.memory)})` : `exited with code ${event.exitCode ?? "?"}`;
    this.lastExits.set(instance.id, { at: new Date(now).toISOString(), reason, outOfMemory: oom });
    this.deps.events.publish({
      ...base,
      type: "instance.crashed",
      message: `instance ${instance.id} of ${record.name} ${oom ? `was killed: ${reason}` : reason}; restarting in ${delay} ms`,
      data: {
        exitCode: event.exitCode,
        reason,
        outOfMemory: oom,
        memoryLimit: record.spec.memory,
        restartInMs: delay,
        recentCrashes: recent.length,
      },
    });
    if (recent.length === this.deps.policy.loopCount) {
      this.deps.events.publish({
        ...base,
        type: "app.crash_looping",
        message: `${record.name} is crash-looping: instance ${instance.id} crashed ${recent.length} times in ${Math.round(this.deps.policy.windowMs / 1000)} s`,
        data: { crashes: recent.length, restartInMs: delay },
      });
    }
    this.pending.set(
      instance.id,
      setTimeout(() => void this.restart(event.containerId, instance.id), delay),
    );
  }

  /** Whoever started it (our backoff, reconciliation after an engine restart, a user), it serves again. */
  private started(containerId: string): void {
    // A restart that found the container already exited emits no exit: do not swallow a later crash.
    this.expected.delete(containerId);
    const found = this.locate(containerId);
    if (!found || !this.down.delete(found.instance.id)) return;
    void this.deps.publish();
  }

  private async restart(containerId: string, instanceId: string): Promise<void> {
    this.pending.delete(instanceId);
    const found = this.locate(containerId);
    if (found?.record.desired !== "running") {
      this.down.delete(instanceId);
      return;
    }
    try {
      const before = await this.deps.runtime.inspectInstance(containerId);
      if (!before) return; // gone: reconciliation replaces it
      if (before.state !== "running") await this.deps.runtime.startInstance(containerId);
      const after = await this.deps.runtime.inspectInstance(containerId);
      await this.deps.store.update(() => {
        found.instance.restarts += 1;
        found.instance.ip = after?.ip ?? found.instance.ip;
      });
      this.down.delete(instanceId);
      await this.deps.publish();
      this.deps.events.publish({
        tenant: found.record.tenant,
        app: found.record.name,
        instance: instanceId,
        release: found.instance.release,
        type: "instance.restarted",
        message: `instance ${instanceId} of ${found.record.name} restarted (restart ${found.instance.restarts})`,
        data: { restarts: found.instance.restarts },
      });
    } catch (error) {
      // The engine may be restarting: try again later (reconciliation may get there first).
      const delay = backoffMs(recentCrashes(this.crashes.get(instanceId) ?? [], Date.now(), this.deps.policy).length + 1, this.deps.policy);
      this.deps.logger.warn({ err: error, instanceId, retryInMs: delay }, "restarting a crashed instance failed");
      if (!this.stopped)
        this.pending.set(
          instanceId,
          setTimeout(() => void this.restart(containerId, instanceId), delay),
        );
    }
  }

  private locate(containerId: string): { record: AppRecord; instance: InstanceRecord } | undefined {
    for (const record of this.deps.store.state.apps) {
      const instance = record.instances.find((i) => i.containerId === containerId);
      if (instance) return { record, instance };
    }
    return undefined;
  }
}
