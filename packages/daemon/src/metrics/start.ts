import type { Logger } from "pino";
import type { AppService } from "../apps/service.ts";
import type { DaemonConfig } from "../config.ts";
import type { DomainService } from "../domains/service.ts";
import type { EventBus } from "../events/bus.ts";
import { accessLogPath } from "../ingress/access-log.ts";
import { type MeasuredStorage, usageOf } from "../quota/usage.ts";
import type { Store } from "../store/store.ts";
import type { VolumeService } from "../volumes/service.ts";
import { AccessLogReader } from "./access-log-reader.ts";
import { CgroupCounters } from "./cgroup-counters.ts";
import { DaemonMetrics } from "./daemon-metrics.ts";
import { MetricsHistory } from "./history.ts";
import { Sampler } from "./sampler.ts";
import { MetricsService } from "./service.ts";

export interface MetricsDeps {
  config: Pick<DaemonConfig, "dataDir" | "metricsIntervalMs" | "domain">;
  store: Store;
  apps: AppService;
  events: EventBus;
  /** The supervised processes' status (their restarts). */
  processes: () => { name: string; restarts: number }[];
  /** What quota usage counts besides the state: sampled writable layers and image bytes. */
  measured: { writableLayers: MeasuredStorage; images: MeasuredStorage };
  volumes: Pick<VolumeService, "get">;
  /** Custom domains: an app's traffic is counted on them too. */
  domains: Pick<DomainService, "ofApp">;
  logger: Logger;
}

export interface Metrics {
  service: MetricsService;
  sampler: Sampler;
  daemon: DaemonMetrics;
}

/** The metrics capability, composed: history loaded from disk, a sampler (started by the caller), the daemon's own registry. */
export async function startMetrics(deps: MetricsDeps): Promise<Metrics> {
  const { store, apps, logger } = deps;
  const intervalMs = deps.config.metricsIntervalMs;
  const history = await MetricsHistory.open(deps.config.dataDir);
  const counters = new CgroupCounters();
  logger.info({ layout: counters.layout, intervalMs }, "sampling instances from the host's cgroups");
  const sampler = new Sampler({
    apps: () => store.state.apps,
    // Engine events keep these current (a new start, a new pid); no re-inspect per pass.
    observe: (containerId) => apps.observed.peek(containerId),
    counters,
    history,
    intervalMs,
    volumeBytes: async (record) => {
      const used = await Promise.all(
        (record.spec.volumes ?? []).map(async (v) => (await deps.volumes.get(record.tenant, v.name)).used ?? 0),
      );
      return used.reduce((sum, bytes) => sum + bytes, 0);
    },
    traffic: new AccessLogReader(accessLogPath(deps.config.dataDir)),
    hostsOf: (record) => [
      `${record.name}.${record.tenant}.${deps.config.domain}`,
      ...deps.domains.ofApp(record.tenant, record.name).map((d) => d.hostname.toLowerCase()),
    ],
    logger,
  });
  const daemon = new DaemonMetrics({
    instanceStates: async () => {
      const states = new Map<string, number>();
      for (const record of store.state.apps) {
        for (const instance of record.instances) {
          const state = (await apps.observed.peek(instance.containerId).catch(() => undefined))?.state ?? "missing";
          states.set(state, (states.get(state) ?? 0) + 1);
        }
      }
      return states;
    },
    quotas: () =>
      store.state.tenants.flatMap((tenant) => {
        const usage = usageOf(store.state, tenant.name, undefined, deps.measured.writableLayers, deps.measured.images);
        const { quota } = tenant;
        return [
          { tenant: tenant.name, resource: "instances", used: usage.instances, limit: quota.maxInstances },
          { tenant: tenant.name, resource: "cpus", used: usage.cpus, limit: quota.maxCpus },
          { tenant: tenant.name, resource: "memory_bytes", used: usage.memory, limit: quota.maxMemory },
          { tenant: tenant.name, resource: "storage_bytes", used: usage.storage, limit: quota.maxStorage },
          { tenant: tenant.name, resource: "apps", used: usage.apps ?? 0, limit: quota.maxApps },
        ];
      }),
    processes: deps.processes,
  });
  deps.events.on("event", (event) => {
    daemon.event(event);
    if (event.type === "app.destroyed" && event.app) {
      history
        .forget(`${event.tenant}/${event.app}`)
        .catch((error) => logger.warn({ err: error }, "could not drop a destroyed app's metrics"));
    }
  });
  return { service: new MetricsService({ history, sampler, intervalMs }), sampler, daemon };
}
