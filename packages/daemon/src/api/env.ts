import type { HttpBindings } from "@hono/node-server";

export interface Principal {
  role: "admin" | "tenant";
  /** The tenant a tenant key belongs to; `default` for admins. */
  tenant: string;
  keyId: string | null;
}

export interface ApiEnv {
  Bindings: HttpBindings & { transport: "unix" | "tcp" };
  Variables: { principal: Principal; requestId: string };
}
