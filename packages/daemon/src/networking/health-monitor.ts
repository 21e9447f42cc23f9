import { probe } from "../apps/health.ts";
import { isServing } from "../apps/records.ts";
import type { Store } from "../store/store.ts";

export interface HealthTransition {
  instanceId: string;
  /** True when it came back, false when it left the pool. */
  healthy: boolean;
}

/** Consecutive failed probes before an instance leaves the pool; one success brings it back. */
const FAILURES_TO_EVICT = 2;

/**
 * Probes every serving instance of every running app at its health path (or by a TCP connect) on a fixed interval, so an
 * instance that stops answering leaves the ingress pool and DNS, and comes back when it recovers.
 */
export class HealthMonitor {
  private readonly store: Store;
  private readonly intervalMs: number;
  private readonly onChange: (transitions: HealthTransition[]) => void;
  private readonly failures = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(store: Store, intervalMs: number, onChange: (transitions: HealthTransition[]) => void) {
    this.store = store;
    this.intervalMs = intervalMs;
    this.onChange = onChange;
  }

  start(): void {
    this.timer = setInterval(() => void this.probeAll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  isUnhealthy(instanceId: string): boolean {
    return (this.failures.get(instanceId) ?? 0) >= FAILURES_TO_EVICT;
  }

  private async probeAll(): Promise<void> {
    if (this.probing) return; // a slow round must not pile up behind itself
    this.probing = true;
    try {
      const targets = this.store.state.apps
        .filter((app) => isServing(app) && app.spec.port !== undefined)
        .flatMap((app) =>
          app.instances
            .filter((i) => i.ip)
            .map((i) => ({ id: i.id, ip: i.ip as string, spec: { ...app.spec, port: app.spec.port as number } })),
        );
      const live = new Set(targets.map((t) => t.id));
      for (const id of this.failures.keys()) if (!live.has(id)) this.failures.delete(id);
      const transitions: HealthTransition[] = [];
      await Promise.all(
        targets.map(async (target) => {
          const wasUnhealthy = this.isUnhealthy(target.id);
          const healthy = await probe(target.ip, target.spec);
          this.failures.set(target.id, healthy ? 0 : (this.failures.get(target.id) ?? 0) + 1);
          if (wasUnhealthy !== this.isUnhealthy(target.id)) transitions.push({ instanceId: target.id, healthy: wasUnhealthy });
        }),
      );
      if (transitions.length > 0) this.onChange(transitions);
    } finally {
      this.probing = false;
    }
  }
}
