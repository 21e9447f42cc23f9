import { metricsQuerySchema } from "@minicloud/shared";
import { Hono } from "hono";
import { requireAnyApp } from "../../apps/records.ts";
import type { DaemonMetrics } from "../../metrics/daemon-metrics.ts";
import { EXPOSITION_CONTENT_TYPE } from "../../metrics/exposition.ts";
import type { MetricsService } from "../../metrics/service.ts";
import type { Store } from "../../store/store.ts";
import type { ApiEnv } from "../env.ts";
import { nameParam, requireAdmin, type TenantOf } from "../scope.ts";
import { queryOf } from "../validate.ts";

export interface MetricsRouteDeps {
  store: Store;
  metrics: MetricsService;
  daemonMetrics: DaemonMetrics;
  tenantOf: TenantOf;
}

/** An app's history as JSON, a tenant's Prometheus exposition, and the daemon's own (admin). */
export function metricsRoutes(deps: MetricsRouteDeps) {
  const routes = new Hono<ApiEnv>();

  routes.get("/v1/apps/:name/metrics", (c) => {
    const tenant = deps.tenantOf(c);
    const { since } = queryOf(c, metricsQuerySchema);
    const app = requireAnyApp(deps.store.state, tenant, nameParam(c, "name", "app"));
    return c.json(deps.metrics.appSeries(tenant, app.name, since));
  });

  // A tenant key scrapes its own tenant; an admin every tenant's (labelled by tenant), or one with ?tenant=.
  routes.get("/v1/metrics", (c) => {
    const admin = c.get("principal").role === "admin";
    const tenant = admin && c.req.query("tenant") === undefined ? undefined : deps.tenantOf(c);
    return c.body(deps.metrics.exposition(tenant), 200, { "content-type": EXPOSITION_CONTENT_TYPE });
  });

  routes.get("/metrics", async (c) => {
    requireAdmin(c);
    return c.body(await deps.daemonMetrics.text(), 200, { "content-type": deps.daemonMetrics.contentType });
  });

  return routes;
}
