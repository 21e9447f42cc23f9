import { Readable } from "node:stream";
import {
  ApiError,
  buildQuerySchema,
  deployRequestSchema,
  durationSeconds,
  logsQuerySchema,
  type Release,
  rollbackRequestSchema,
  scaleRequestSchema,
} from "@minicloud/shared";
import { Hono } from "hono";
import type { Builds } from "../../apps/builds.ts";
import type { AppService } from "../../apps/service.ts";
import type { ReleaseRecord } from "../../store/schema.ts";
import type { ApiEnv } from "../env.ts";
import { ndjsonResponse } from "../ndjson.ts";
import { nameParam, type TenantOf } from "../scope.ts";
import { jsonBody, queryOf } from "../validate.ts";

export function appRoutes(apps: AppService, builds: Builds, tenantOf: TenantOf) {
  const routes = new Hono<ApiEnv>();
  const app = (c: Parameters<TenantOf>[0]) => nameParam(c, "name", "app");

  routes.get("/v1/apps", async (c) => c.body(await apps.listJson(tenantOf(c)), 200, { "content-type": "application/json" }));

  routes.post("/v1/apps", async (c) => {
    const tenant = tenantOf(c);
    const { detach, ...change } = await jsonBody(c, deployRequestSchema);
    return c.json(await apps.deploy(tenant, change, { detach: detach === true }), detach ? 202 : 201);
  });

  routes.get("/v1/apps/:name", async (c) => c.json(await apps.get(tenantOf(c), app(c), { detailed: true })));
  routes.post("/v1/apps/:name/stop", async (c) => c.json(await apps.stop(tenantOf(c), app(c))));
  routes.post("/v1/apps/:name/start", async (c) => c.json(await apps.start(tenantOf(c), app(c))));
  routes.post("/v1/apps/:name/restart", async (c) => c.json(await apps.restart(tenantOf(c), app(c))));

  // The body is a tar of the build context; the answer streams the build's output as NDJSON.
  routes.post("/v1/apps/:name/builds", (c) => {
    const tenant = tenantOf(c);
    const options = queryOf(c, buildQuerySchema);
    const body = c.req.raw.body;
    if (!body) throw new ApiError("invalid_input", "send the build context as a tar archive in the request body");
    return ndjsonResponse(builds.build(tenant, app(c), Readable.fromWeb(body as import("node:stream/web").ReadableStream), options));
  });

  routes.post("/v1/apps/:name/scale", async (c) => {
    const tenant = tenantOf(c);
    return c.json(await apps.scale(tenant, app(c), await jsonBody(c, scaleRequestSchema)));
  });

  routes.get("/v1/apps/:name/releases", (c) => c.json({ releases: apps.releases(tenantOf(c), app(c)).map(toRelease) }));

  routes.post("/v1/apps/:name/rollback", async (c) => {
    const tenant = tenantOf(c);
    const body = await jsonBody(c, rollbackRequestSchema);
    return c.json(await apps.rollback(tenant, app(c), body.version));
  });

  routes.delete("/v1/apps/:name", async (c) => {
    await apps.destroy(tenantOf(c), app(c));
    return c.json({ ok: true as const });
  });

  routes.get("/v1/apps/:name/logs", async (c) => {
    const tenant = tenantOf(c);
    const query = queryOf(c, logsQuerySchema);
    const sinceSeconds = query.since ? Math.floor(Date.now() / 1000) - durationSeconds(query.since) : undefined;
    return ndjsonResponse(
      await apps.logs(tenant, app(c), {
        follow: query.follow === "true",
        tail: query.tail,
        sinceSeconds,
        grep: query.grep,
        instance: query.instance,
        release: query.release,
      }),
    );
  });

  routes.get("/v1/instances/:id", async (c) => c.json(await apps.instance(tenantOf(c), c.req.param("id"))));

  return routes;
}

function toRelease(release: ReleaseRecord): Release {
  const { spec } = release;
  return {
    version: release.version,
    image: spec.image,
    count: spec.count,
    memory: spec.memory,
    cpus: spec.cpus,
    status: release.status,
    rollbackOf: release.rollbackOf,
    createdAt: release.createdAt,
    reason: release.reason,
    changes: release.changes ?? [],
    digest: release.digest ?? null,
  };
}
