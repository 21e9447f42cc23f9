import { type DaemonSettings, type Health, type IngressCa, VERSION, type Whoami } from "@minicloud/shared";
import { Hono } from "hono";
import type { Networking } from "../../networking/networking.ts";
import type { Runtime } from "../../runtime/runtime.ts";
import type { ProcessStatus } from "../../supervisor/supervised-process.ts";
import type { ApiEnv } from "../env.ts";
import { requireAdmin } from "../scope.ts";

export function systemRoutes(networking: Networking) {
  const routes = new Hono<ApiEnv>();

  routes.get("/v1/whoami", (c) => {
    const principal = c.get("principal");
    const body: Whoami = { ...principal, transport: c.env.transport };
    return c.json(body);
  });

  // Public material (a root certificate): any key may fetch it to trust the ingress.
  routes.get("/v1/ingress/ca", async (c) => {
    const certificate = await networking.rootCertificate();
    const body: IngressCa = { certificate };
    return c.json(body);
  });

  return routes;
}

/** The daemon's effective settings and where each came from (admin: they describe the host). */
export function settingsRoute(settings: DaemonSettings) {
  const routes = new Hono<ApiEnv>();
  routes.get("/v1/system/settings", (c) => {
    requireAdmin(c);
    return c.json(settings);
  });
  return routes;
}

/** Unauthenticated liveness: the daemon answers, and says whether the engine does. */
export function healthRoute(runtime: Runtime, networking: Networking, registry: { status(): ProcessStatus }) {
  const routes = new Hono<ApiEnv>();
  routes.get("/healthz", async (c) => {
    const engine = await runtime.ping().then(
      () => "up" as const,
      () => "down" as const,
    );
    const components = { ...networking.status(), registry: registry.status() };
    const allUp = engine === "up" && Object.values(components).every((component) => component.state === "running");
    const body: Health = {
      status: allUp ? "ok" : "degraded",
      version: VERSION,
      engine,
      components,
      hostFirewall: networking.hostFirewall(),
    };
    return c.json(body, engine === "up" ? 200 : 503);
  });
  return routes;
}
