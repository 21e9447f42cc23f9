import type { PlatformEvent } from "@minicloud/shared";
import type { UpgradeRoute } from "../api/upgrade-router.ts";
import { type EventBus, matches } from "../events/bus.ts";
import type { Store } from "../store/store.ts";
import { SessionEnded, signedIn } from "./session-auth.ts";
import type { Sessions } from "./sessions.ts";

/** How often an open socket checks that its session (and the key behind it) still holds. */
const RECHECK_MS = 2000;
/** Close code for a session that ended (signed out, expired, key revoked): the page goes to sign-in. */
export const SESSION_ENDED_CLOSE = 4401;

/**
 * `/dashboard/events`: the event stream for a signed-in page, authenticated by the session cookie
 * (same-origin only), scoped like GET /v1/events: a tenant's socket carries only its own events.
 * Live events only: the page was rendered from current state, it needs to know what changes next.
 */
export function dashboardEventsUpgrade(deps: { store: Store; sessions: Sessions; events: EventBus }): UpgradeRoute {
  return {
    path: "/dashboard/events",
    audited: false,
    async authenticate(request) {
      // Another site's page may open a WebSocket that carries our cookie: only our own pages may.
      if (!sameOrigin(request.headers.origin, request.headers.host)) throw new SessionEnded("required");
      return (await signedIn(deps.store, deps.sessions, request.headers.cookie)).principal;
    },
    accept({ principal, headers }) {
      const filter = { tenant: principal.role === "tenant" ? principal.tenant : undefined };
      return {
        open(ws) {
          const live = (event: PlatformEvent) => {
            if (matches(event, filter)) ws.send(JSON.stringify(event));
          };
          // Signed out, expired or revoked: the socket ends with its session.
          const timer = setInterval(() => {
            signedIn(deps.store, deps.sessions, headers.cookie).catch((error: unknown) =>
              ws.close(SESSION_ENDED_CLOSE, error instanceof SessionEnded ? error.reason : "expired"),
            );
          }, RECHECK_MS);
          deps.events.on("event", live);
          const stop = () => {
            clearInterval(timer);
            deps.events.off("event", live);
          };
          ws.on("close", stop);
          ws.on("error", stop);
        },
      };
    },
  };
}

function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
