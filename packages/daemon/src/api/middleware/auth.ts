import { ApiError } from "@minicloud/shared";
import { createMiddleware } from "hono/factory";
import { bearerKey, keyId, keyMatches } from "../../keys/api-keys.ts";
import type { Store } from "../../store/store.ts";
import { DEFAULT_TENANT } from "../../tenants/service.ts";
import type { ApiEnv, Principal } from "../env.ts";
import { problemResponse } from "../problem.ts";
import type { AuthFailures } from "./auth-failures.ts";

/**
 * Who is calling. The Unix socket is admin (its file mode is the access control); TCP needs a
 * Bearer key, looked up by its id and compared by hash in constant time.
 */
export function auth(store: Store, failures?: AuthFailures) {
  return createMiddleware<ApiEnv>(async function authenticate(c, next) {
    let principal: Principal;
    try {
      // The dashboard checked its session (and the key behind it) before calling in.
      principal = c.env.sessionPrincipal ?? principalOf(store, c.env.transport, c.req.header("authorization"));
    } catch (error) {
      // Past its budget of failures, the client's address is answered 429 until its window ends.
      const refused = failures?.charge(clientAddress(c.env.incoming));
      if (refused) return problemResponse(c, refused.error, refused.headers);
      throw error;
    }
    c.set("principal", principal);
    await next();
  });
}

/** The TCP peer's address (what failed authentications are counted by). */
export function clientAddress(request: { socket?: { remoteAddress?: string | undefined } } | undefined): string {
  return request?.socket?.remoteAddress ?? "unknown";
}

/** The caller behind a transport and an Authorization header (also for WebSocket upgrades). */
export function principalOf(store: Store, transport: "unix" | "tcp", header: string | undefined): Principal {
  return transport === "unix" ? socketAdmin() : resolveKey(store, header);
}

function socketAdmin(): Principal {
  return { role: "admin", tenant: DEFAULT_TENANT, keyId: null };
}

function resolveKey(store: Store, header: string | undefined): Principal {
  const key = bearerKey(header);
  if (!key) throw new ApiError("unauthorized", "an API key is required: send `Authorization: Bearer <key>` (mc login --api-key KEY)");
  const id = keyId(key);
  const record = id ? store.state.keys.find((k) => k.id === id) : undefined;
  if (!record || !keyMatches(key, record.hash))
    throw new ApiError("unauthorized", "the API key is not valid — check it, or create a new one with `mc keys create`");
  if (record.revokedAt) throw new ApiError("unauthorized", "the API key was revoked — create a new one with `mc keys create`");
  if (record.expiresAt && Date.parse(record.expiresAt) <= Date.now()) {
    throw new ApiError("unauthorized", "the API key has expired — create a new one with `mc keys create`");
  }
  return { role: record.role, tenant: record.tenant, keyId: record.id };
}
