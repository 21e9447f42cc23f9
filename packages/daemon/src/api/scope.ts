import { ApiError, checkName } from "@minicloud/shared";
import type { Context } from "hono";
import { DEFAULT_TENANT, type TenantService } from "../tenants/service.ts";
import type { ApiEnv, Principal } from "./env.ts";

export type TenantOf = (c: Context<ApiEnv>) => string;

/**
 * The tenant a request acts on: a tenant key's own (whatever `?tenant=` says), or for an admin
 * `?tenant=` else `default`. An unknown tenant is not_found.
 */
export function tenantScope(tenants: TenantService): TenantOf {
  return (c) => scopedTenant(c.get("principal"), c.req.query("tenant"), tenants);
}

/** tenantScope for callers without a Hono context (WebSocket upgrades). */
export function scopedTenant(principal: Principal, requestedTenant: string | undefined, tenants: TenantService): string {
  if (principal.role === "tenant") return principal.tenant;
  const requested = requestedTenant ?? DEFAULT_TENANT;
  const problem = checkName(requested);
  if (problem) throw new ApiError("invalid_input", `tenant: ${problem}`, [{ field: "tenant", message: problem }]);
  tenants.require(requested);
  return requested;
}

/**
 * Whose events a request sees: a tenant key its own tenant's; an admin every tenant's, or the one
 * named by `?tenant=`.
 */
export function scopeOfEvents(c: Context<ApiEnv>, tenants: TenantService): string | undefined {
  const principal = c.get("principal");
  if (principal.role === "tenant") return principal.tenant;
  return c.req.query("tenant") === undefined ? undefined : tenantScope(tenants)(c);
}

export function requireAdmin(c: Context<ApiEnv>): void {
  if (c.get("principal").role !== "admin") throw new ApiError("forbidden", "this needs an admin key");
}

/** Path parameters that name things are DNS labels; anything else cannot exist, so it is not_found. */
export function nameParam(c: Context<ApiEnv>, param: string, kind: string): string {
  const value = c.req.param(param) ?? "";
  if (checkName(value)) throw new ApiError("not_found", `${kind} ${value} not found`);
  return value;
}
