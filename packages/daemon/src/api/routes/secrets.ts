import { secretsChangeSchema } from "@minicloud/shared";
import { Hono } from "hono";
import type { SecretService } from "../../secrets/service.ts";
import type { ApiEnv } from "../env.ts";
import { nameParam, type TenantOf } from "../scope.ts";
import { jsonBody } from "../validate.ts";

/** Write-only secrets: names, digests and dates come back, values never (not even to an admin). */
export function secretRoutes(secrets: SecretService, tenantOf: TenantOf) {
  const routes = new Hono<ApiEnv>();
  const app = (c: Parameters<TenantOf>[0]) => nameParam(c, "name", "app");

  routes.get("/v1/apps/:name/secrets", (c) => c.json(secrets.list(tenantOf(c), app(c))));

  routes.patch("/v1/apps/:name/secrets", async (c) => {
    const tenant = tenantOf(c);
    return c.json(await secrets.change(tenant, app(c), await jsonBody(c, secretsChangeSchema)));
  });

  return routes;
}
