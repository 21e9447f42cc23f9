import { domainCreateSchema, domainsQuerySchema } from "@minicloud/shared";
import { Hono } from "hono";
import type { DomainService } from "../../domains/service.ts";
import type { ApiEnv } from "../env.ts";
import type { TenantOf } from "../scope.ts";
import { jsonBody, queryOf } from "../validate.ts";

export function domainRoutes(domains: DomainService, tenantOf: TenantOf) {
  const routes = new Hono<ApiEnv>();

  routes.get("/v1/domains", (c) => {
    const tenant = tenantOf(c);
    return c.json({ domains: domains.list(tenant, queryOf(c, domainsQuerySchema).app) });
  });

  // 201 when the name is new; 200 when it already routes to this app (adding it again is harmless).
  routes.post("/v1/domains", async (c) => {
    const tenant = tenantOf(c);
    const { domain, created } = await domains.add(tenant, await jsonBody(c, domainCreateSchema));
    return c.json(domain, created ? 201 : 200);
  });

  routes.delete("/v1/domains/:hostname", async (c) => {
    await domains.remove(tenantOf(c), c.req.param("hostname"));
    return c.json({ ok: true as const });
  });

  return routes;
}
