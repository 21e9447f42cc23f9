import { ApiError, auditQuerySchema, keyCreateSchema } from "@minicloud/shared";
import { Hono } from "hono";
import type { AuditLog } from "../../audit/log.ts";
import { auditStream } from "../../audit/stream.ts";
import type { KeyService } from "../../keys/service.ts";
import type { TenantService } from "../../tenants/service.ts";
import type { ApiEnv } from "../env.ts";
import { ndjsonResponse } from "../ndjson.ts";
import { requireAdmin, type TenantOf } from "../scope.ts";
import { jsonBody, queryOf } from "../validate.ts";

/** Self-service for a tenant: its keys and quota; and the audit log (own tenant, or all for admins). */
export function accountRoutes(deps: { keys: KeyService; tenants: TenantService; audit: AuditLog; tenantOf: TenantOf }) {
  const { keys, tenants, audit, tenantOf } = deps;
  const routes = new Hono<ApiEnv>();

  routes.get("/v1/keys", (c) => c.json({ keys: keys.list(tenantOf(c)) }));
  routes.post("/v1/keys", async (c) => {
    const tenant = tenantOf(c);
    const body = await jsonBody(c, keyCreateSchema);
    if (body.role === "admin" && c.get("principal").role !== "admin") throw new ApiError("forbidden", "only admins can create admin keys");
    if (body.role === "admin" && tenant !== "default") throw new ApiError("invalid_input", "admin keys belong to the default tenant");
    return c.json(await keys.create(tenant, body), 201);
  });
  routes.delete("/v1/keys/:id", async (c) => {
    const force = c.req.query("force");
    if (force !== undefined && force !== "true" && force !== "false") throw new ApiError("invalid_input", "force: must be true or false");
    await keys.revoke(tenantOf(c), c.req.param("id"), { callerKeyId: c.get("principal").keyId, force: force === "true" });
    return c.json({ ok: true as const });
  });

  routes.get("/v1/quota", (c) => {
    const tenant = tenants.get(tenantOf(c));
    return c.json({ tenant: tenant.name, limits: tenant.limits, usage: tenant.usage });
  });

  routes.get("/v1/audit/verify", async (c) => {
    requireAdmin(c);
    return c.json(await audit.verify());
  });

  routes.get("/v1/audit", async (c) => {
    const principal = c.get("principal");
    // Admins see every tenant unless they name one; tenant keys see their own tenant only.
    const only = principal.role === "tenant" || c.req.query("tenant") !== undefined ? tenantOf(c) : undefined;
    const query = queryOf(c, auditQuerySchema);
    const visible = (entry: { tenant: string | null }) => only === undefined || entry.tenant === only;
    return ndjsonResponse(auditStream(audit, { tail: query.tail, follow: query.follow === "true", visible }));
  });

  return routes;
}
