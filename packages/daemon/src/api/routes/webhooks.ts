import { deliveriesQuerySchema, webhookCreateSchema } from "@minicloud/shared";
import { Hono } from "hono";
import type { WebhookService } from "../../webhooks/service.ts";
import type { ApiEnv } from "../env.ts";
import type { TenantOf } from "../scope.ts";
import { jsonBody, queryOf } from "../validate.ts";

export function webhookRoutes(webhooks: WebhookService, tenantOf: TenantOf) {
  const routes = new Hono<ApiEnv>();

  routes.get("/v1/webhooks", (c) => c.json({ webhooks: webhooks.list(tenantOf(c)) }));

  // The answer holds the signing secret: shown this once.
  routes.post("/v1/webhooks", async (c) => {
    const tenant = tenantOf(c);
    return c.json(await webhooks.add(tenant, await jsonBody(c, webhookCreateSchema)), 201);
  });

  routes.get("/v1/webhooks/deliveries", (c) => {
    const tenant = tenantOf(c);
    const query = queryOf(c, deliveriesQuerySchema);
    return c.json({ deliveries: webhooks.deliveries(tenant, query) });
  });

  routes.delete("/v1/webhooks/:id", async (c) => {
    await webhooks.remove(tenantOf(c), c.req.param("id"));
    return c.json({ ok: true as const });
  });

  routes.post("/v1/webhooks/:id/test", async (c) => c.json(await webhooks.test(tenantOf(c), c.req.param("id"))));

  return routes;
}
