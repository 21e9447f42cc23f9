import { ApiError, checkName, type PlatformEvent } from "@minicloud/shared";
import { type EventBus, matches } from "../events/bus.ts";
import type { UpgradeRoute } from "./upgrade-router.ts";

/** How many past events a new socket receives before the live ones. */
const HISTORY = 100;
/** Bytes a socket may have unsent before it is closed: a reader this far behind resumes by id. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * `GET /v1/events` upgraded to a WebSocket: recent history, then every new event the caller may
 * see (its tenant's; an admin's: all, or `?tenant=`), one JSON text message each.
 */
export function eventsUpgrade(events: EventBus): UpgradeRoute {
  return {
    path: "/v1/events",
    audited: false,
    accept({ url, principal }) {
      const requested = url.searchParams.get("tenant") ?? undefined;
      if (requested !== undefined && checkName(requested)) throw new ApiError("invalid_input", "tenant: not a valid name");
      const filter = {
        tenant: principal.role === "tenant" ? principal.tenant : requested,
        app: url.searchParams.get("app") ?? undefined,
        // Resuming after a disconnect: only events after this id.
        after: Number.parseInt(url.searchParams.get("after") ?? "", 10) || undefined,
      };
      return {
        open(ws) {
          for (const event of events.history({ ...filter, limit: HISTORY })) ws.send(JSON.stringify(event));
          const live = (event: PlatformEvent) => {
            if (!matches(event, filter)) return;
            // 1013 "try again later": the client reconnects and catches up with ?after=<last id>.
            if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
              events.off("event", live);
              ws.close(1013, "the reader is too slow — reconnect with ?after=<last id>");
              return;
            }
            ws.send(JSON.stringify(event));
          };
          events.on("event", live);
          ws.on("close", () => events.off("event", live));
          ws.on("error", () => events.off("event", live));
        },
      };
    },
  };
}
