import { createMiddleware } from "hono/factory";
import type { AuditLog, AuditRecord } from "../../audit/log.ts";
import { presentedKeyId } from "../../keys/api-keys.ts";
import type { ApiEnv } from "../env.ts";
import { clientAddress } from "./auth.ts";
import type { AuthFailures } from "./auth-failures.ts";

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Writes every mutating call and every auth failure to the audit log, after the response is known:
 * who (role, tenant, key id, transport), what (method and path), on which tenant, and the outcome.
 */
export function audit(log: AuditLog, failures?: AuthFailures) {
  return createMiddleware<ApiEnv>(async function auditRequest(c, next) {
    await next();
    const status = c.res.status;
    const principal = c.get("principal");
    // No principal: authentication failed (401, or 429 once the address is past its failures).
    if (READ_METHODS.has(c.req.method) && principal) return;
    const code = status >= 400 ? (c.get("problemCode") ?? null) : null;
    const tenant = principal ? (principal.role === "tenant" ? principal.tenant : (c.req.query("tenant") ?? principal.tenant)) : null;
    const record: AuditRecord = {
      requestId: c.get("requestId"),
      actor: principal
        ? { role: principal.role, tenant: principal.tenant, keyId: principal.keyId, transport: c.env.transport }
        : { role: "anonymous", tenant: null, keyId: presentedKeyId(c.req.header("authorization")), transport: c.env.transport },
      action: `${c.req.method} ${c.req.path}`,
      tenant,
      target: c.req.path.replace(/^\/v1\//, ""),
      outcome: { status, code },
    };
    // Failed authentications over TCP are counted per address: a flood is a few entries with counts.
    if (!principal && failures && c.env.transport === "tcp") await failures.record(clientAddress(c.env.incoming), record);
    else await log.append(record);
  });
}
