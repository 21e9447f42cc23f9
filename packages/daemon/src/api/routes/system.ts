import { type Health, VERSION, type Whoami } from "@minicloud/shared";
import { Hono } from "hono";
import type { Runtime } from "../../runtime/runtime.ts";
import type { ApiEnv } from "../env.ts";

export function systemRoutes() {
  const routes = new Hono<ApiEnv>();

  routes.get("/v1/whoami", (c) => {
    const principal = c.get("principal");
    const body: Whoami = { ...principal, transport: c.env.transport };
    return c.json(body);
  });

  return routes;
}

/** Unauthenticated liveness: the daemon answers, and says whether the engine does. */
export function healthRoute(runtime: Runtime) {
  const routes = new Hono<ApiEnv>();
  routes.get("/healthz", async (c) => {
    const engine = await runtime.ping().then(
      () => "up" as const,
      () => "down" as const,
    );
    const body: Health = { status: engine === "up" ? "ok" : "degraded", version: VERSION, engine };
    return c.json(body, engine === "up" ? 200 : 503);
  });
  return routes;
}
