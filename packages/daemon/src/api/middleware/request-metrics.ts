import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import type { DaemonMetrics } from "../../metrics/daemon-metrics.ts";
import type { ApiEnv } from "../env.ts";

/**
 * Counts every API request by method, route pattern (`/v1/apps/:name`, never the path itself:
 * a label per app name would grow without end) and status, and times it.
 */
export function requestMetrics(metrics: DaemonMetrics) {
  return createMiddleware<ApiEnv>(async function countRequest(c, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      // The last route that matched with a method of its own is the handler; middleware match as ALL.
      const route = matchedRoutes(c).findLast((r) => r.method !== "ALL")?.path ?? "unmatched";
      metrics.request(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
    }
  });
}
