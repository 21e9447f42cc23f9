import { Readable } from "node:stream";
import {
  scheduleRequestSchema,
  snapshotCreateSchema,
  volumeCreateSchema,
  volumeExtendSchema,
  volumeImportQuerySchema,
  volumeRestoreSchema,
} from "@minicloud/shared";
import { Hono } from "hono";
import { ARCHIVE_CONTENT_TYPE } from "../../volumes/archive.ts";
import type { VolumeSchedules } from "../../volumes/schedules.ts";
import type { VolumeService } from "../../volumes/service.ts";
import type { Snapshots } from "../../volumes/snapshots.ts";
import type { ApiEnv } from "../env.ts";
import { nameParam, type TenantOf } from "../scope.ts";
import { jsonBody, queryOf } from "../validate.ts";

export interface VolumeRouteDeps {
  volumes: VolumeService;
  snapshots: Snapshots;
  schedules: VolumeSchedules;
  tenantOf: TenantOf;
}

/** Snapshot ids start with a digit (a date), volume names with a letter: one path segment names either. */
const SNAPSHOT_ID = /^\d{8}T\d{6}-[0-9a-f]{4}$/;

export function volumeRoutes({ volumes, snapshots, schedules, tenantOf }: VolumeRouteDeps) {
  const routes = new Hono<ApiEnv>();
  const volume = (c: Parameters<TenantOf>[0]) => nameParam(c, "name", "volume");

  routes.get("/v1/volumes", async (c) => c.json({ volumes: await volumes.list(tenantOf(c)) }));

  routes.post("/v1/volumes", async (c) => {
    const tenant = tenantOf(c);
    const body = await jsonBody(c, volumeCreateSchema);
    const created = body.fromSnapshot
      ? await snapshots.fork(tenant, body.fromSnapshot, body.name)
      : await volumes.create(tenant, body.name, body.size as number);
    return c.json(created, 201);
  });

  routes.get("/v1/volumes/:name", async (c) => c.json(await volumes.get(tenantOf(c), volume(c))));

  routes.patch("/v1/volumes/:name", async (c) => {
    const tenant = tenantOf(c);
    return c.json(await volumes.extend(tenant, volume(c), (await jsonBody(c, volumeExtendSchema)).size));
  });

  routes.delete("/v1/volumes/:name", async (c) => {
    const tenant = tenantOf(c);
    const name = volume(c);
    await volumes.delete(tenant, name);
    schedules.forget(tenant, name);
    return c.json({ ok: true as const });
  });

  routes.get("/v1/volumes/:name/snapshots", (c) => c.json({ snapshots: snapshots.list(tenantOf(c), volume(c)) }));

  routes.post("/v1/volumes/:name/snapshots", async (c) => {
    const tenant = tenantOf(c);
    const { note } = await jsonBody(c, snapshotCreateSchema);
    return c.json(await snapshots.take(tenant, volume(c), "manual", note ?? null), 201);
  });

  routes.delete("/v1/volumes/:name/snapshots/:snapshot", async (c) => {
    await snapshots.delete(tenantOf(c), volume(c), c.req.param("snapshot"));
    return c.json({ ok: true as const });
  });

  routes.post("/v1/volumes/:name/restore", async (c) => {
    const tenant = tenantOf(c);
    const name = volume(c);
    const { safety } = await snapshots.restore(tenant, name, (await jsonBody(c, volumeRestoreSchema)).snapshot);
    return c.json({ volume: await volumes.get(tenant, name), safety });
  });

  routes.put("/v1/volumes/:name/schedule", async (c) => {
    const tenant = tenantOf(c);
    const name = volume(c);
    const { cron, keep } = await jsonBody(c, scheduleRequestSchema);
    await schedules.set(tenant, name, cron, keep);
    return c.json(await volumes.get(tenant, name));
  });

  routes.delete("/v1/volumes/:name/schedule", async (c) => {
    const tenant = tenantOf(c);
    await schedules.clear(tenant, volume(c));
    return c.json(await volumes.get(tenant, volume(c)));
  });

  // A volume (a consistent copy of it now) or a snapshot, as a .tar.zst stream.
  routes.get("/v1/volumes/:name/export", async (c) => {
    const tenant = tenantOf(c);
    const target = c.req.param("name");
    const stream = await snapshots.export(tenant, SNAPSHOT_ID.test(target) ? target : volume(c));
    return new Response(Readable.toWeb(stream) as ReadableStream, {
      headers: { "content-type": ARCHIVE_CONTENT_TYPE, "content-disposition": `attachment; filename="${target}.tar.zst"` },
    });
  });

  // The body is a .tar.zst (an export); ?size= is reserved before any of it is read.
  routes.post("/v1/volumes/:name/import", async (c) => {
    const tenant = tenantOf(c);
    const name = volume(c);
    const { size } = queryOf(c, volumeImportQuerySchema);
    const body = c.req.raw.body;
    const source = body ? Readable.fromWeb(body as import("node:stream/web").ReadableStream) : Readable.from([]);
    return c.json(await snapshots.import(tenant, name, size, source), 201);
  });

  return routes;
}
