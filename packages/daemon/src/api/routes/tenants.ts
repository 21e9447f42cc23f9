import { quotaUpdateSchema, tenantCreateSchema } from "@minicloud/shared";
import { Hono } from "hono";
import type { TenantService } from "../../tenants/service.ts";
import type { ApiEnv } from "../env.ts";
import { nameParam, requireAdmin } from "../scope.ts";
import { jsonBody } from "../validate.ts";

/** Tenant administration: admin keys only. */
export function tenantRoutes(tenants: TenantService) {
  const routes = new Hono<ApiEnv>();
  routes.use("/v1/tenants", async (c, next) => {
    requireAdmin(c);
    await next();
  });
  routes.use("/v1/tenants/*", async (c, next) => {
    requireAdmin(c);
    await next();
  });
  const tenant = (c: Parameters<typeof nameParam>[0]) => nameParam(c, "name", "tenant");

  routes.get("/v1/tenants", (c) => c.json({ tenants: tenants.list() }));
  routes.post("/v1/tenants", async (c) => {
    const body = await jsonBody(c, tenantCreateSchema);
    return c.json(await tenants.create(body.name, body.quota ?? {}), 201);
  });
  routes.get("/v1/tenants/:name", (c) => c.json(tenants.get(tenant(c))));
  routes.put("/v1/tenants/:name/quota", async (c) => {
    const name = tenant(c);
    return c.json(await tenants.setQuota(name, await jsonBody(c, quotaUpdateSchema)));
  });
  routes.delete("/v1/tenants/:name", async (c) => {
    await tenants.delete(tenant(c));
    return c.json({ ok: true as const });
  });
  return routes;
}
