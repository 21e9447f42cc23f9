import type { PlatformEvent } from "@minicloud/shared";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface DaemonMetricsSources {
  /** Instances of every app by the state the API shows ("running", "exited", …). */
  instanceStates: () => Promise<Map<string, number>>;
  /** Each tenant's quota: what it holds and its limit, per resource. */
  quotas: () => { tenant: string; resource: string; used: number; limit: number }[];
  /** The supervised processes (Caddy, CoreDNS) and how often they were restarted since the daemon started. */
  processes: () => { name: string; restarts: number }[];
}

const DEPLOY_END: Partial<Record<PlatformEvent["type"], string>> = {
  "deploy.succeeded": "succeeded",
  "deploy.failed": "failed",
  "deploy.rolled_back": "rolled_back",
};

/** The daemon's own metrics (GET /metrics, admin only), through prom-client; `mcd_` names, and Node's defaults. */
export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"method" | "route" | "status">;
  private readonly requestSeconds: Histogram<"method" | "route">;
  private readonly deploys: Counter<"outcome">;
  private readonly deploySeconds: Histogram<"outcome">;
  private readonly reconciles: Counter<"outcome">;
  private readonly deployStarts = new Map<string, number>();

  constructor(sources: DaemonMetricsSources) {
    const registers = [this.registry];
    // Event-loop lag (nodejs_eventloop_lag_seconds and its percentiles), heap, CPU, fds.
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: "mcd_http_requests_total",
      help: "API requests answered, by method, route pattern and status.",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: "mcd_http_request_duration_seconds",
      help: "Time to answer an API request (streams: until the response began).",
      labelNames: ["method", "route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.deploys = new Counter({ name: "mcd_deploys_total", help: "Deploys finished, by outcome.", labelNames: ["outcome"], registers });
    this.deploySeconds = new Histogram({
      name: "mcd_deploy_duration_seconds",
      help: "Time from a deploy's start to its outcome.",
      labelNames: ["outcome"],
      buckets: [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 900],
      registers,
    });
    this.reconciles = new Counter({
      name: "mcd_reconcile_passes_total",
      help: "Reconciliation passes, by outcome.",
      labelNames: ["outcome"],
      registers,
    });
    new Gauge({
      name: "mcd_instances",
      help: "Instances of every tenant's apps, by state.",
      labelNames: ["state"],
      registers,
      async collect() {
        this.reset();
        for (const [state, count] of await sources.instanceStates()) this.set({ state }, count);
      },
    });
    const quotas = sources.quotas;
    for (const [name, help, pick] of [
      ["mcd_tenant_quota_used", "What a tenant holds of a quota resource (instances, cpus, memory_bytes, storage_bytes, apps).", "used"],
      ["mcd_tenant_quota_limit", "A tenant's limit of a quota resource.", "limit"],
    ] as const) {
      new Gauge({
        name,
        help,
        labelNames: ["tenant", "resource"],
        registers,
        collect() {
          this.reset();
          for (const q of quotas()) this.set({ tenant: q.tenant, resource: q.resource }, q[pick]);
        },
      });
    }
    new Counter({
      name: "mcd_supervised_process_restarts_total",
      help: "Restarts of a process the daemon supervises (caddy, coredns) since the daemon started.",
      labelNames: ["process"],
      registers,
      collect() {
        this.reset();
        for (const p of sources.processes()) this.inc({ process: p.name }, p.restarts);
      },
    });
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.requestSeconds.observe({ method, route }, seconds);
  }

  reconcilePass(outcome: "ok" | "failed"): void {
    this.reconciles.inc({ outcome });
  }

  /** Deploy outcomes and durations, from the event stream (started → succeeded/failed/rolled back). */
  event(event: PlatformEvent): void {
    const key = `${event.tenant}/${event.app}`;
    if (event.type === "deploy.started") {
      this.deployStarts.set(key, Date.parse(event.time));
      return;
    }
    const outcome = DEPLOY_END[event.type];
    if (!outcome) return;
    this.deploys.inc({ outcome });
    const started = this.deployStarts.get(key);
    this.deployStarts.delete(key);
    if (started !== undefined) this.deploySeconds.observe({ outcome }, Math.max(0, (Date.parse(event.time) - started) / 1000));
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
