import { randomUUID } from "node:crypto";
import { type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { ApiError, type AuditEntry } from "@minicloud/shared";
import type { Logger } from "pino";
import { type WebSocket, WebSocketServer } from "ws";
import type { AuditLog, AuditRecord } from "../audit/log.ts";
import { presentedKeyId } from "../keys/api-keys.ts";
import type { Store } from "../store/store.ts";
import type { Principal } from "./env.ts";
import { clientAddress, principalOf } from "./middleware/auth.ts";
import type { AuthFailures } from "./middleware/auth-failures.ts";
import type { RateLimiter } from "./middleware/rate-limit.ts";
import { problemOf, toApiError } from "./problem.ts";
import type { StreamLimits } from "./stream-limits.ts";

/** Client messages larger than this close the socket (stdin arrives in small frames). */
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** How long a client has to answer the close at shutdown before its connection is cut. */
const CLOSE_GRACE_MS = 1000;

/** An authenticated upgrade request, as a route sees it. */
export interface UpgradeRequest {
  url: URL;
  /** The path's `:name` parameters, decoded. */
  params: Record<string, string>;
  principal: Principal;
  /** The request's headers (the dashboard's socket reads its session cookie). */
  headers: IncomingMessage["headers"];
  transport: "unix" | "tcp";
  requestId: string;
  /** Set by an exec route as soon as it knows: what the session's audit entry records. */
  exec?: NonNullable<AuditEntry["exec"]>;
}

/** A request a route said yes to: what to do once the WebSocket is open, or if the handshake fails. */
export interface AcceptedUpgrade {
  open(ws: WebSocket): void;
  abort?(): void;
}

export interface UpgradeRoute {
  /** `/v1/apps/:name/exec`: literal segments and `:name` parameters. */
  path: string;
  /** Every attempt goes to the audit log (a session that acts), not only authentication failures. */
  audited: boolean;
  /**
   * Who is calling, for routes that authenticate another way than a Bearer key (the dashboard's
   * session cookie); throws an ApiError to refuse. Without it: the socket is admin, TCP needs a key.
   */
  authenticate?(request: IncomingMessage): Principal | Promise<Principal>;
  /** Checks the request and gets ready; an ApiError refuses it as problem+json before the handshake. */
  accept(request: UpgradeRequest): AcceptedUpgrade | Promise<AcceptedUpgrade>;
}

export interface UpgradeRouterDeps {
  store: Store;
  auditLog: AuditLog;
  rateLimiter: RateLimiter;
  /** An open session holds a stream slot of its key and tenant, like a log follow. */
  streamLimits?: StreamLimits;
  /** Failed authentications per client address, as for requests. */
  authFailures?: AuthFailures;
  logger: Logger;
}

/**
 * The one owner of a server's `upgrade` event: finds the route by path, authenticates like the rest
 * of the API (the socket is admin, TCP needs a Bearer key), charges the key's rate limit, audits
 * failed logins (and, for audited routes, every outcome), then completes the WebSocket handshake.
 */
export function attachUpgradeRouter(
  server: Server,
  transport: "unix" | "tcp",
  deps: UpgradeRouterDeps,
  routes: UpgradeRoute[],
): { close(): void } {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const table = routes.map((route) => ({ route, pattern: compile(route.path) }));
  const accepted = routes.map((r) => r.path).join(" and ");

  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Once upgraded, the socket is no longer the HTTP server's: a client that resets it while we
    // authenticate or audit would otherwise be an unhandled 'error' that ends the daemon.
    socket.on("error", () => socket.destroy());
    void route(request, socket, head).catch((error) => {
      deps.logger.error({ err: error }, "WebSocket upgrade failed");
      socket.destroy();
    });
  });

  const close = () => {
    // Upgraded connections are no longer the HTTP server's: without this, one open session holds shutdown.
    for (const ws of sockets.clients) {
      ws.close(1001, "mcd is shutting down");
      setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
    }
  };

  async function route(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? "/", "http://mcd");
    const requestId = randomUUID();
    const found = table.map(({ route, pattern }) => ({ route, params: match(pattern, url.pathname) })).find((m) => m.params);
    if (!found?.params) return refuse(socket, new ApiError("not_found", `only ${accepted} accept WebSocket upgrades`), url, requestId);
    const { route } = found;
    const action = `GET ${url.pathname} (websocket)`;
    const target = url.pathname.replace(/^\/v1\//, "");
    let principal: Principal;
    try {
      principal = route.authenticate
        ? await route.authenticate(request)
        : principalOf(deps.store, transport, request.headers.authorization);
    } catch (error) {
      // Counted per address like a request's: past the budget, 429 and one audit entry per window.
      const address = transport === "tcp" && deps.authFailures ? clientAddress(request) : undefined;
      const refused = address ? deps.authFailures?.charge(address) : undefined;
      const failure: AuditRecord = {
        requestId,
        actor: { role: "anonymous", tenant: null, keyId: presentedKeyId(request.headers.authorization), transport },
        action,
        tenant: null,
        target,
        outcome: refused ? { status: 429, code: "rate_limited" } : { status: 401, code: "unauthorized" },
      };
      if (address && deps.authFailures) await deps.authFailures.record(address, failure);
      else await deps.auditLog.append(failure);
      if (refused) return refuse(socket, refused.error, url, requestId, refused.headers);
      return refuse(socket, toApiError(error), url, requestId);
    }
    const upgrade: UpgradeRequest = { url, params: found.params, principal, headers: request.headers, transport, requestId };
    const record = async (status: number, code: string | null) => {
      if (!route.audited) return;
      await deps.auditLog.append({
        requestId,
        actor: { role: principal.role, tenant: principal.tenant, keyId: principal.keyId, transport },
        action,
        tenant: principal.role === "tenant" ? principal.tenant : (url.searchParams.get("tenant") ?? principal.tenant),
        target,
        outcome: { status, code },
        ...(upgrade.exec ? { exec: upgrade.exec } : {}),
      });
    };

    let ready: AcceptedUpgrade;
    let release = () => {};
    try {
      if (principal.keyId) {
        const decision = deps.rateLimiter.take(principal.keyId);
        if (!decision.allowed) {
          await record(429, decision.error.code);
          return refuse(socket, decision.error, url, requestId, decision.headers);
        }
      }
      if (deps.streamLimits) release = deps.streamLimits.acquire(principal);
      ready = await route.accept(upgrade);
    } catch (error) {
      release();
      const apiError = toApiError(error);
      if (apiError.code === "internal") deps.logger.error({ err: error, requestId }, "WebSocket upgrade failed");
      await record(apiError.status, apiError.code);
      return refuse(socket, apiError, url, requestId);
    }
    // The client may have given up while the route got ready.
    if (socket.destroyed) {
      release();
      ready.abort?.();
      return;
    }
    let opened = false;
    // ws completes (or refuses) the handshake synchronously.
    sockets.handleUpgrade(request, socket, head, (ws) => {
      opened = true;
      ws.once("close", release);
      ready.open(ws);
    });
    if (!opened) {
      release();
      ready.abort?.();
    }
    await record(opened ? 101 : 400, opened ? null : "invalid_input");
  }

  return { close };
}

function compile(path: string): (string | { param: string })[] {
  return path
    .split("/")
    .slice(1)
    .map((segment) => (segment.startsWith(":") ? { param: segment.slice(1) } : segment));
}

function match(pattern: (string | { param: string })[], pathname: string): Record<string, string> | undefined {
  const segments = pathname.split("/").slice(1);
  if (segments.length !== pattern.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index] ?? "";
    if (typeof part === "string") {
      if (part !== segment) return undefined;
      continue;
    }
    try {
      params[part.param] = decodeURIComponent(segment);
    } catch {
      return undefined;
    }
  }
  return params;
}

/** Answers an upgrade request with a problem+json response instead of a handshake. */
function refuse(socket: Duplex, error: ApiError, url: URL, requestId: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(problemOf(error, url.pathname, requestId));
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? "Error"}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`,
  );
}
