import { PassThrough } from "node:stream";
import { eventsQuerySchema, type PlatformEvent } from "@minicloud/shared";
import { Hono } from "hono";
import { type EventBus, matches } from "../../events/bus.ts";
import type { TenantService } from "../../tenants/service.ts";
import type { ApiEnv } from "../env.ts";
import { ndjsonResponse } from "../ndjson.ts";
import { scopeOfEvents } from "../scope.ts";
import { queryOf } from "../validate.ts";

/** The event stream: history as JSON, or (`?follow=true`) history then live events as NDJSON. */
export function eventRoutes(events: EventBus, tenants: TenantService) {
  const routes = new Hono<ApiEnv>();
  routes.get("/v1/events", (c) => {
    const query = queryOf(c, eventsQuerySchema);
    const filter = { tenant: scopeOfEvents(c, tenants), app: query.app, after: query.after };
    const history = events.history({ ...filter, limit: query.limit });
    if (query.follow !== "true") return c.json({ events: history });
    const out = new PassThrough();
    for (const event of history) out.write(`${JSON.stringify(event)}\n`);
    const live = (event: PlatformEvent) => {
      if (matches(event, filter)) out.write(`${JSON.stringify(event)}\n`);
    };
    events.on("event", live);
    out.on("close", () => events.off("event", live));
    return ndjsonResponse(out);
  });
  return routes;
}
