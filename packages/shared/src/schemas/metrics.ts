import { z } from "zod";
import { durationSchema, durationSeconds } from "../units.ts";

/** How far back metrics history goes: the coarsest tier's retention. */
export const MAX_METRICS_SINCE_SECONDS = 30 * 86_400;

/** `?since=` of GET /v1/apps/:name/metrics (and `mc metrics --since`): 1s to 30d, default 1h. */
export const metricsSinceSchema = durationSchema.refine(
  (text) => {
    // Text that is no duration at all has its issue from the regex already.
    if (!durationSchema.safeParse(text).success) return true;
    const seconds = durationSeconds(text);
    return seconds >= 1 && seconds <= MAX_METRICS_SINCE_SECONDS;
  },
  { message: "must be a duration from 1s to 30d, such as 15m, 6h or 7d" },
);

export const metricsQuerySchema = z.object({ since: metricsSinceSchema.default("1h") }).strict();

/** One point of an app's series: its running instances summed; null where nothing was measured. */
export const metricsPointSchema = z.object({
  t: z.string(),
  /** Percent of one core (200 = two cores busy). */
  cpuPercent: z.number().nullable(),
  /** Working set: memory in use minus inactive file cache. */
  memoryBytes: z.number().nullable(),
  memoryLimitBytes: z.number().nullable(),
  networkRxBytesPerSecond: z.number().nullable(),
  networkTxBytesPerSecond: z.number().nullable(),
  pids: z.number().nullable(),
  /** Restarts of the app's current instances, as a running total. */
  restarts: z.number().nullable(),
  /** Instances sampled (running). */
  instances: z.number().nullable(),
  /** Ingress traffic; null until the ingress feeds it. */
  requestsPerSecond: z.number().nullable(),
  responses2xxPerSecond: z.number().nullable(),
  responses3xxPerSecond: z.number().nullable(),
  responses4xxPerSecond: z.number().nullable(),
  responses5xxPerSecond: z.number().nullable(),
  latencyMs: z.number().nullable(),
  /** Bytes used on the app's volumes; null when it has none. */
  volumeBytes: z.number().nullable(),
});
export type MetricsPoint = z.infer<typeof metricsPointSchema>;

export const appMetricsSchema = z.object({
  tenant: z.string(),
  app: z.string(),
  since: z.string(),
  /** Which history tier answered: every sample (the last hour), 1-minute (a day) or 10-minute (30 days) averages. */
  resolution: z.enum(["raw", "1m", "10m"]),
  /** Seconds between points (the sampling interval for raw). */
  stepSeconds: z.number(),
  points: z.array(metricsPointSchema),
});
export type AppMetrics = z.infer<typeof appMetricsSchema>;
