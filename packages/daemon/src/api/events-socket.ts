import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { type ApiError, checkName, type PlatformEvent } from "@minicloud/shared";
import { WebSocketServer } from "ws";
import type { AuditLog } from "../audit/log.ts";
import { type EventBus, matches } from "../events/bus.ts";
import { presentedKeyId } from "../keys/api-keys.ts";
import type { Store } from "../store/store.ts";
import { principalOf } from "./middleware/auth.ts";

export interface EventSocketDeps {
  store: Store;
  events: EventBus;
  auditLog: AuditLog;
}

/** How many past events a new socket receives before the live ones. */
const HISTORY = 100;

/**
 * `GET /v1/events` upgraded to a WebSocket: recent history, then every new event the caller may
 * see (its tenant's; an admin's: all, or `?tenant=`), one JSON text message each. Authenticated
 * like the rest of the API (the socket is admin; TCP needs `Authorization: Bearer <key>`).
 */
export function attachEventSocket(server: Server, transport: "unix" | "tcp", deps: EventSocketDeps): void {
  const sockets = new WebSocketServer({ noServer: true });
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? "/", "http://mcd");
    if (url.pathname !== "/v1/events") return refuse(socket, 404, "not_found", "only /v1/events accepts WebSocket upgrades");
    let principal: ReturnType<typeof principalOf>;
    try {
      principal = principalOf(deps.store, transport, request.headers.authorization);
    } catch (error) {
      void deps.auditLog.append({
        requestId: randomUUID(),
        actor: { role: "anonymous", tenant: null, keyId: presentedKeyId(request.headers.authorization), transport },
        action: "GET /v1/events (websocket)",
        tenant: null,
        target: "events",
        outcome: { status: 401, code: "unauthorized" },
      });
      return refuse(socket, 401, "unauthorized", (error as ApiError).message);
    }
    const requested = url.searchParams.get("tenant") ?? undefined;
    if (requested !== undefined && checkName(requested)) return refuse(socket, 400, "invalid_input", "tenant: not a valid name");
    const filter = {
      tenant: principal.role === "tenant" ? principal.tenant : requested,
      app: url.searchParams.get("app") ?? undefined,
    };
    sockets.handleUpgrade(request, socket, head, (ws) => {
      for (const event of deps.events.history({ ...filter, limit: HISTORY })) ws.send(JSON.stringify(event));
      const live = (event: PlatformEvent) => {
        if (matches(event, filter)) ws.send(JSON.stringify(event));
      };
      deps.events.on("event", live);
      ws.on("close", () => deps.events.off("event", live));
      ws.on("error", () => deps.events.off("event", live));
    });
  });
}

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ type: "about:blank", title: code, status, code, detail: message });
  socket.end(
    `HTTP/1.1 ${status} ${code}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
