import { eventsQuerySchema, type PlatformEvent } from "@minicloud/shared";
import { Hono } from "hono";
import { LineOutbox } from "../../common/line-outbox.ts";
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
    // A reader that falls too far behind is cut (after what is queued): it resumes with ?after=<last id>.
    const stop = () => events.off("event", live);
    const out = new LineOutbox({ overflow: "end", onCut: stop });
    for (const event of history) out.offer(JSON.stringify(event), true);
    const live = (event: PlatformEvent) => {
      if (matches(event, filter)) out.offer(JSON.stringify(event));
    };
    events.on("event", live);
    out.on("close", stop);
    return ndjsonResponse(out);
  });
  return routes;
}
