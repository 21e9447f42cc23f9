import { type AppMetrics, durationSeconds, type MetricsPoint } from "@minicloud/shared";
import type { InstanceStats } from "../runtime/runtime.ts";
import { exposition } from "./exposition.ts";
import { type MetricsHistory, POINT_FIELDS } from "./history.ts";
import type { Sampler } from "./sampler.ts";

/** What the API reads: an app's series, a Prometheus exposition, an instance's latest figures. */
export class MetricsService {
  private readonly history: MetricsHistory;
  private readonly sampler: Sampler;
  private readonly intervalMs: number;

  constructor(deps: { history: MetricsHistory; sampler: Sampler; intervalMs: number }) {
    this.history = deps.history;
    this.sampler = deps.sampler;
    this.intervalMs = deps.intervalMs;
  }

  /** `since` is a duration metricsSinceSchema accepted; the app is known to exist. */
  appSeries(tenant: string, app: string, since: string, now = Date.now()): AppMetrics {
    const { tier, points } = this.history.read(`${tenant}/${app}`, now - durationSeconds(since) * 1000, now);
    return {
      tenant,
      app,
      since,
      resolution: tier.name,
      stepSeconds: (tier.bucketMs || this.intervalMs) / 1000,
      points: points.map((point) => {
        const out: Record<string, number | string | null> = { t: new Date(point.t).toISOString() };
        for (const [i, field] of POINT_FIELDS.entries()) out[field] = point.v[i] ?? null;
        return out as MetricsPoint;
      }),
    };
  }

  /** The Prometheus text of one tenant's instances, or of every tenant's (admin). */
  exposition(tenant: string | undefined): string {
    return exposition(this.sampler.samples(tenant), this.sampler.traffic(tenant));
  }

  /**
   * The instance's latest sample as `mc status` shows it. An instance started since the last pass
   * is read at once (its cgroup files, no engine call), so a status right after a deploy has figures.
   */
  async latestStats(containerId: string): Promise<InstanceStats | undefined> {
    const sample = this.sampler.latest(containerId) ?? (await this.sampler.sampleOne(containerId));
    return sample && { cpuPercent: sample.cpuPercent, memoryBytes: sample.counters.memoryWorkingSetBytes };
  }
}
