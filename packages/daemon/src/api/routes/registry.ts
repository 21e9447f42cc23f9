import { timingSafeEqual } from "node:crypto";
import { ApiError } from "@minicloud/shared";
import { type Context, Hono } from "hono";
import type { Logger } from "pino";
import type { BuiltinRegistry } from "../../registry/builtin-registry.ts";
import { InternalCredentials } from "../../registry/internal-credentials.ts";
import type { Pushes } from "../../registry/pushes.ts";
import { type Caller, grant, parseScopes } from "../../registry/tokens.ts";
import type { Store } from "../../store/store.ts";
import type { ApiEnv } from "../env.ts";
import { clientAddress, principalOf } from "../middleware/auth.ts";
import type { AuthFailures } from "../middleware/auth-failures.ts";
import { problemResponse } from "../problem.ts";

const MAX_NOTIFICATION_BYTES = 1024 * 1024;

export interface RegistryRouteDeps {
  registry: BuiltinRegistry;
  pushes: Pushes;
  store: Store;
  authFailures?: AuthFailures | undefined;
  logger: Logger;
}

/**
 * The built-in registry's two calls into mcd, outside the API's Bearer auth: the Docker token
 * protocol (Basic `<tenant>:<API key>`, as `docker login` sends it) and the registry's push
 * notifications (a secret header only the registry's configuration holds).
 */
export function registryRoutes(deps: RegistryRouteDeps) {
  const routes = new Hono<ApiEnv>();

  routes.get("/v1/registry/token", (c) => {
    const basic = /^Basic\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    const decoded = basic ? Buffer.from(basic, "base64").toString("utf8") : "";
    const colon = decoded.indexOf(":");
    const [username, key] = colon > 0 ? [decoded.slice(0, colon), decoded.slice(colon + 1)] : ["", ""];
    let caller: Caller;
    try {
      if (!key) throw new ApiError("unauthorized", "log in with the tenant's name and an API key: docker login -u <tenant> -p <key>");
      if (InternalCredentials.isInternal(key)) {
        if (!deps.registry.verifyInternal(username, key)) throw new ApiError("unauthorized", "the login is not valid (anymore)");
        return issue(c, { tenant: username, admin: false });
      }
      const principal = principalOf(deps.store, "tcp", `Bearer ${key}`);
      // The user name is the key's tenant: a key of one tenant cannot log in as another.
      if (principal.tenant !== username) throw new ApiError("unauthorized", "the user name is not the API key's tenant");
      caller = { tenant: principal.tenant, admin: principal.role === "admin" };
    } catch (error) {
      const refused = deps.authFailures?.charge(clientAddress(c.env.incoming));
      if (refused) return problemResponse(c, refused.error, refused.headers);
      throw error;
    }
    return issue(c, caller);
  });

  const issue = (c: Context<ApiEnv>, caller: Caller) => {
    const access = grant(caller, parseScopes(c.req.queries("scope") ?? []));
    const issued = deps.registry.issue(caller.tenant, access);
    return c.json({ token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt });
  };

  routes.post("/v1/registry/notifications", async (c) => {
    const presented = Buffer.from(c.req.header("authorization") ?? "");
    const expected = Buffer.from(`Bearer ${deps.registry.notificationSecret}`);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new ApiError("unauthorized", "only the built-in registry sends notifications here");
    }
    const text = await c.req.text();
    if (text.length > MAX_NOTIFICATION_BYTES) throw new ApiError("payload_too_large", "a notification envelope is at most 1 MiB");
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      throw new ApiError("invalid_input", "a notification envelope is JSON");
    }
    // Answered only once handled: a failure is retried by the registry (its endpoint backs off).
    await deps.pushes.handle(envelope as Parameters<Pushes["handle"]>[0]);
    return c.json({ ok: true as const });
  });

  return routes;
}
