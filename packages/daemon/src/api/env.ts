import type { HttpBindings } from "@hono/node-server";
import type { ErrorCode } from "@minicloud/shared";

export interface Principal {
  role: "admin" | "tenant";
  /** The tenant a tenant key belongs to; `default` for admins. */
  tenant: string;
  keyId: string | null;
}

export interface ApiEnv {
  /**
   * `sessionPrincipal`: a dashboard request calling the API for its signed-in session (dashboard/);
   * `uncharged`: one of a page's reads after the first, which the rate limit does not count again.
   */
  Bindings: HttpBindings & { transport: "unix" | "tcp"; sessionPrincipal?: Principal; uncharged?: boolean };
  /** `problemCode` is set by problemResponse, so the audit entry knows the outcome without re-reading the body. */
  Variables: { principal: Principal; requestId: string; problemCode: ErrorCode };
}
