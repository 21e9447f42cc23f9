import { Readable } from "node:stream";
import { deployRequestSchema, logsQuerySchema, nameSchema } from "@minicloud/shared";
import { Hono } from "hono";
import type { AppService } from "../../apps/service.ts";
import type { ApiEnv } from "../env.ts";
import { scopedTenant } from "../middleware/auth.ts";
import { jsonBody, queryOf } from "../validate.ts";

const SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

export function appRoutes(apps: AppService) {
  const routes = new Hono<ApiEnv>();
  const tenantOf = (c: { get(key: "principal"): ApiEnv["Variables"]["principal"]; req: { query(key: string): string | undefined } }) =>
    nameSchema.parse(scopedTenant(c.get("principal"), c.req.query("tenant")));
  const appName = (name: string) => nameSchema.parse(name);

  routes.get("/v1/apps", async (c) => c.json({ apps: await apps.list(tenantOf(c)) }));

  routes.post("/v1/apps", async (c) => {
    const spec = await jsonBody(c, deployRequestSchema);
    return c.json(await apps.deploy(tenantOf(c), spec), 201);
  });

  routes.get("/v1/apps/:name", async (c) => c.json(await apps.get(tenantOf(c), appName(c.req.param("name")), { detailed: true })));

  routes.post("/v1/apps/:name/stop", async (c) => c.json(await apps.stop(tenantOf(c), appName(c.req.param("name")))));
  routes.post("/v1/apps/:name/start", async (c) => c.json(await apps.start(tenantOf(c), appName(c.req.param("name")))));
  routes.post("/v1/apps/:name/restart", async (c) => c.json(await apps.restart(tenantOf(c), appName(c.req.param("name")))));

  routes.delete("/v1/apps/:name", async (c) => {
    await apps.destroy(tenantOf(c), appName(c.req.param("name")));
    return c.json({ ok: true as const });
  });

  routes.get("/v1/apps/:name/logs", async (c) => {
    const query = queryOf(c, logsQuerySchema);
    const since = query.since ? /^(\d+)([smhd])$/.exec(query.since) : null;
    const sinceSeconds = since ? Math.floor(Date.now() / 1000) - Number(since[1]) * SECONDS[since[2] as keyof typeof SECONDS] : undefined;
    const stream = await apps.logs(tenantOf(c), appName(c.req.param("name")), {
      follow: query.follow === "true",
      tail: query.tail,
      sinceSeconds,
    });
    return new Response(Readable.toWeb(stream) as ReadableStream, { headers: { "content-type": "application/x-ndjson" } });
  });

  return routes;
}
