import type { Logger } from "pino";
import type { RuntimeInstance } from "../runtime/runtime.ts";
import type { AppRecord } from "../store/schema.ts";
import type { HostTraffic } from "./access-log-reader.ts";
import type { ContainerCounters, CounterSource } from "./counters.ts";
import { type MetricsHistory, POINT_FIELDS, type PointField, type PointValues } from "./history.ts";

/** One running instance's latest sample: its counters and the rates since the sample before. */
export interface InstanceSample {
  tenant: string;
  app: string;
  instance: string;
  containerId: string;
  at: number;
  counters: ContainerCounters;
  /** Percent of one core, since the previous sample (or since it started, for its first). */
  cpuPercent: number;
  rxBytesPerSecond: number;
  txBytesPerSecond: number;
  restarts: number;
}

export interface SamplerDeps {
  apps: () => readonly AppRecord[];
  /** What the engine last said about a container (the inspect cache: no engine call per pass). */
  observe: (containerId: string) => Promise<RuntimeInstance | undefined>;
  counters: CounterSource;
  history: MetricsHistory;
  intervalMs: number;
  /** Bytes used on the app's volumes; undefined when it has none. */
  volumeBytes?: (record: AppRecord) => Promise<number | undefined>;
  /** Requests the ingress answered since the last call, by host (the access log). */
  traffic?: { take(): Promise<Map<string, HostTraffic>>; close(): Promise<void> };
  /** The hosts the ingress serves an app on (its platform host and custom domains). */
  hostsOf?: (record: AppRecord) => string[];
  logger: Logger;
}

/** An app's ingress traffic since the daemon started, for the Prometheus exposition. */
export interface AppTraffic {
  tenant: string;
  app: string;
  traffic: HostTraffic;
}

/** Reads at most this many containers at once: a pass stays a trickle of small reads. */
const CONCURRENCY = 16;

/**
 * Every `intervalMs`, reads every running instance's counters from the host (one pass over the
 * cgroup files, see CgroupCounters), keeps each instance's latest sample in memory and adds one
 * point per app to the history.
 */
export class Sampler {
  private readonly deps: SamplerDeps;
  private readonly latestByContainer = new Map<string, InstanceSample>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastPassAt: number | undefined;
  private readonly trafficTotals = new Map<string, AppTraffic>();

  constructor(deps: SamplerDeps) {
    this.deps = deps;
  }

  start(): void {
    this.timer = setInterval(() => void this.pass(), this.deps.intervalMs);
    this.timer.unref();
    void this.pass();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.deps.history.flush();
    await this.deps.traffic?.close();
  }

  /** The latest sample of a container, while it is no older than three intervals. */
  latest(containerId: string): InstanceSample | undefined {
    const sample = this.latestByContainer.get(containerId);
    return sample && Date.now() - sample.at <= 3 * this.deps.intervalMs ? sample : undefined;
  }

  /** Every current instance sample, of one tenant or all. */
  samples(tenant?: string): InstanceSample[] {
    const cutoff = Date.now() - 3 * this.deps.intervalMs;
    return [...this.latestByContainer.values()].filter((s) => s.at >= cutoff && (tenant === undefined || s.tenant === tenant));
  }

  /** Each app's ingress traffic since the daemon started, of one tenant or all. */
  traffic(tenant?: string): AppTraffic[] {
    return [...this.trafficTotals.values()].filter((t) => tenant === undefined || t.tenant === tenant);
  }

  /** Samples one running instance now (one that started since the last pass); it joins the latest samples. */
  async sampleOne(containerId: string): Promise<InstanceSample | undefined> {
    for (const record of this.deps.apps()) {
      const instance = record.instances.find((i) => i.containerId === containerId);
      if (!instance) continue;
      const observed = await this.deps.observe(containerId).catch(() => undefined);
      if (observed?.state !== "running") return undefined;
      const counters = await this.deps.counters.read(containerId, observed.pid ?? null);
      if (!counters) return undefined;
      const sample = this.toSample(record, instance.id, containerId, instance.restarts, counters, observed, Date.now());
      this.latestByContainer.set(containerId, sample);
      return sample;
    }
    return undefined;
  }

  /** One pass; a pass still running when the next is due is not doubled. */
  pass(): Promise<void> {
    this.running ??= this.sampleAll()
      .catch((error) => this.deps.logger.warn({ err: error }, "metrics sampling failed"))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async sampleAll(): Promise<void> {
    const now = Date.now();
    const records = this.deps.apps();
    const traffic = await this.deps.traffic?.take().catch((error) => {
      this.deps.logger.warn({ err: error }, "could not read the ingress access log");
      return undefined;
    });
    const seconds = this.lastPassAt === undefined ? undefined : (now - this.lastPassAt) / 1000;
    this.lastPassAt = now;
    const seen = new Set<string>();
    const work = records.flatMap((record) => record.instances.map((instance) => ({ record, instance })));
    const samples = new Map<AppRecord, InstanceSample[]>();
    for (let i = 0; i < work.length; i += CONCURRENCY) {
      await Promise.all(
        work.slice(i, i + CONCURRENCY).map(async ({ record, instance }) => {
          const observed = await this.deps.observe(instance.containerId).catch(() => undefined);
          if (observed?.state !== "running") return;
          const counters = await this.deps.counters.read(instance.containerId, observed.pid ?? null);
          if (!counters) return;
          seen.add(instance.containerId);
          const sample = this.toSample(record, instance.id, instance.containerId, instance.restarts, counters, observed, now);
          this.latestByContainer.set(instance.containerId, sample);
          samples.set(record, [...(samples.get(record) ?? []), sample]);
        }),
      );
    }
    for (const containerId of this.latestByContainer.keys()) if (!seen.has(containerId)) this.latestByContainer.delete(containerId);
    // An app destroyed during the pass is left out: its history was dropped with it.
    const current = new Set(this.deps.apps());
    for (const record of records) {
      if (!current.has(record)) continue;
      const volumeBytes = record.spec.volumes?.length ? await this.deps.volumeBytes?.(record).catch(() => undefined) : undefined;
      const appTraffic = traffic && this.appTraffic(record, traffic);
      const rates = appTraffic && seconds ? { traffic: appTraffic, seconds } : undefined;
      this.deps.history.record(`${record.tenant}/${record.name}`, now, appPoint(record, samples.get(record) ?? [], volumeBytes, rates));
    }
    this.deps.history.closeBuckets(now);
    await this.deps.history.flush();
  }

  /** The app's share of what the ingress logged, added to its running totals too. */
  private appTraffic(record: AppRecord, traffic: Map<string, HostTraffic>): HostTraffic {
    const sum: HostTraffic = { requests: 0, classes: [0, 0, 0, 0, 0], durationSeconds: 0 };
    for (const host of this.deps.hostsOf?.(record) ?? []) addTraffic(sum, traffic.get(host));
    const key = `${record.tenant}/${record.name}`;
    let total = this.trafficTotals.get(key);
    if (!total) {
      total = { tenant: record.tenant, app: record.name, traffic: { requests: 0, classes: [0, 0, 0, 0, 0], durationSeconds: 0 } };
      this.trafficTotals.set(key, total);
    }
    addTraffic(total.traffic, sum);
    return sum;
  }

  private toSample(
    record: AppRecord,
    instance: string,
    containerId: string,
    restarts: number,
    counters: ContainerCounters,
    observed: RuntimeInstance,
    now: number,
  ): InstanceSample {
    const before = this.latestByContainer.get(containerId);
    const started = observed.startedAt ? Date.parse(observed.startedAt) : Number.NaN;
    // Counters restart with the container: a smaller value means a new start, measured from it.
    const comparable = before !== undefined && before.counters.cpuSeconds <= counters.cpuSeconds;
    const from = comparable ? before.at : started;
    const seconds = (now - from) / 1000;
    const rate = (value: number, previous: number) => (seconds > 0 ? Math.max(0, (value - previous) / seconds) : 0);
    return {
      tenant: record.tenant,
      app: record.name,
      instance,
      containerId,
      at: now,
      counters,
      cpuPercent: round(rate(counters.cpuSeconds, comparable ? before.counters.cpuSeconds : 0) * 100),
      rxBytesPerSecond: round(rate(counters.networkRxBytes, comparable ? before.counters.networkRxBytes : 0)),
      txBytesPerSecond: round(rate(counters.networkTxBytes, comparable ? before.counters.networkTxBytes : 0)),
      restarts,
    };
  }
}

function addTraffic(into: HostTraffic, from: HostTraffic | undefined): void {
  if (!from) return;
  into.requests += from.requests;
  into.durationSeconds += from.durationSeconds;
  for (const [i, count] of from.classes.entries()) into.classes[i] = (into.classes[i] ?? 0) + count;
}

/** An app's point: its running instances' samples summed (nulls when none ran), and its ingress traffic as rates. */
export function appPoint(
  record: AppRecord,
  samples: InstanceSample[],
  volumeBytes: number | undefined,
  ingress?: { traffic: HostTraffic; seconds: number },
): PointValues {
  const values: Partial<Record<PointField, number | null>> = {
    restarts: record.instances.reduce((sum, i) => sum + i.restarts, 0),
    instances: samples.length,
    volumeBytes: volumeBytes ?? null,
  };
  if (ingress) {
    const { traffic, seconds } = ingress;
    const perSecond = (count: number) => round(count / seconds);
    values.requestsPerSecond = perSecond(traffic.requests);
    values.responses2xxPerSecond = perSecond(traffic.classes[1]);
    values.responses3xxPerSecond = perSecond(traffic.classes[2]);
    values.responses4xxPerSecond = perSecond(traffic.classes[3]);
    values.responses5xxPerSecond = perSecond(traffic.classes[4]);
    values.latencyMs = traffic.requests > 0 ? round((traffic.durationSeconds / traffic.requests) * 1000) : null;
  }
  if (samples.length > 0) {
    const sum = (pick: (s: InstanceSample) => number) => round(samples.reduce((total, s) => total + pick(s), 0));
    values.cpuPercent = sum((s) => s.cpuPercent);
    values.memoryBytes = sum((s) => s.counters.memoryWorkingSetBytes);
    values.memoryLimitBytes = samples.every((s) => s.counters.memoryLimitBytes !== null)
      ? sum((s) => s.counters.memoryLimitBytes ?? 0)
      : null;
    values.networkRxBytesPerSecond = sum((s) => s.rxBytesPerSecond);
    values.networkTxBytesPerSecond = sum((s) => s.txBytesPerSecond);
    values.pids = sum((s) => s.counters.pids);
  }
  return POINT_FIELDS.map((field) => values[field] ?? null);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
