import type { HttpBindings } from "@hono/node-server";
import type { ErrorCode } from "@minicloud/shared";

export interface Principal {
  role: "admin" | "tenant";
  /** The tenant a tenant key belongs to; `default` for admins. */
  tenant: string;
  keyId: string | null;
}

export interface ApiEnv {
  /** `sessionPrincipal`: a dashboard request calling the API for its signed-in session (dashboard/). */
  Bindings: HttpBindings & { transport: "unix" | "tcp"; sessionPrincipal?: Principal };
  /** `problemCode` is set by problemResponse, so the audit entry knows the outcome without re-reading the body. */
  Variables: { principal: Principal; requestId: string; problemCode: ErrorCode };
}
