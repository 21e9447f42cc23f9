import { chmod, mkdir, rm } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import net from "node:net";
import path from "node:path";
import type { Duplex } from "node:stream";
import { createAdaptorServer, type HttpBindings } from "@hono/node-server";
import type { TlsMaterial } from "./tls-cert.ts";

type Fetch = (request: Request, env: HttpBindings & { transport: "unix" | "tcp" }) => Response | Promise<Response>;

export class ListenError extends Error {}

/** Node's default: a request's whole body (a build context, a volume import) may take this long to arrive. */
const REQUEST_TIMEOUT_MS = 300_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/**
 * The TCP listener cuts clients that send their headers too slowly (slowloris) or sit idle between
 * requests. Node checks the timeouts every `connectionsCheckingInterval`, so it follows the header
 * timeout. The Unix socket is admin's and keeps Node's defaults.
 */
function timeouts(headerTimeoutMs: number) {
  return {
    headersTimeout: headerTimeoutMs,
    requestTimeout: Math.max(REQUEST_TIMEOUT_MS, headerTimeoutMs),
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, headerTimeoutMs / 4)),
  };
}

function adaptor(fetch: Fetch, transport: "unix" | "tcp", tls?: TlsMaterial, headerTimeoutMs?: number): Server {
  const handler = (request: Request, env: HttpBindings) => fetch(request, { ...env, transport });
  const limits = headerTimeoutMs === undefined ? {} : timeouts(headerTimeoutMs);
  const server = tls
    ? (createAdaptorServer({
        fetch: handler as never,
        createServer: createHttpsServer,
        serverOptions: { cert: tls.cert, key: tls.key, ...limits },
      }) as Server)
    : (createAdaptorServer({ fetch: handler as never, createServer: createHttpServer, serverOptions: limits }) as Server);
  server.on("clientError", answerClientError);
  return server;
}

/**
 * What Node's HTTP parser refuses before any handler runs (headers too large, a malformed request)
 * is answered as problem+json like every other error, not with an empty body.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (error.code !== "HPE_HEADER_OVERFLOW" && !error.code?.startsWith("HPE_"))) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
  const [status, code, reason] = tooLarge
    ? [400, "invalid_input", "the request line and headers are larger than 16 KiB; send long values in a body"]
    : [400, "invalid_input", "the request is not valid HTTP/1.1"];
  const body = JSON.stringify({ type: "about:blank", title: code, status, code, detail: reason });
  socket.end(
    `HTTP/1.1 ${status} Bad Request\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function listen(server: Server, target: string | { host: string; port: number }, describe: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const reason = error.code === "EADDRINUSE" ? "is already in use" : error.code === "EACCES" ? "needs more privileges" : error.message;
      reject(new ListenError(`cannot listen on ${describe}: it ${reason} — choose another with MC_LISTEN/MC_SOCKET or stop what holds it`));
    });
    if (typeof target === "string") server.listen(target, resolve);
    else server.listen(target.port, target.host, resolve);
  });
}

/** Refuses to take over a socket another live daemon is serving; removes a stale one. */
async function claimSocket(socketPath: string): Promise<void> {
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(socketPath);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (live) throw new ListenError(`another mcd is already serving ${socketPath} — stop it with \`mc daemon stop\` or set MC_SOCKET`);
  await rm(socketPath, { force: true });
}

export interface TcpLimits {
  headerTimeoutMs: number;
  connectionsPerAddress: number;
}

/**
 * One client address holds at most `max` open TCP connections; one more is closed as it is
 * accepted, before any byte is read (so before any key is checked). Counted on the raw socket, so
 * TLS handshakes count too.
 */
function capConnectionsPerAddress(server: Server, max: number): void {
  const open = new Map<string, number>();
  server.on("connection", (socket: net.Socket) => {
    const address = socket.remoteAddress ?? "";
    const count = open.get(address) ?? 0;
    if (count >= max) {
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once("close", () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}

export interface Listeners {
  tcpAddress: { host: string; port: number };
  close(): Promise<void>;
}

export async function startListeners(
  fetch: Fetch,
  socketPath: string,
  tcp: { host: string; port: number },
  tls?: TlsMaterial,
  /** Extra wiring per server before it listens (WebSocket upgrades, say). */
  prepare: (server: Server, transport: "unix" | "tcp") => void = () => undefined,
  /** How long a TCP client may take to send a request's headers (MC_HEADER_TIMEOUT), and its open connections per address. */
  tcpLimits: TcpLimits = { headerTimeoutMs: 10_000, connectionsPerAddress: 256 },
): Promise<Listeners> {
  await mkdir(path.dirname(socketPath), { recursive: true, mode: 0o755 });
  await claimSocket(socketPath);
  const unixServer = adaptor(fetch, "unix");
  const tcpServer = adaptor(fetch, "tcp", tls, tcpLimits.headerTimeoutMs);
  capConnectionsPerAddress(tcpServer, tcpLimits.connectionsPerAddress);
  prepare(unixServer, "unix");
  prepare(tcpServer, "tcp");
  const previousMask = process.umask(0o177);
  try {
    await listen(unixServer, socketPath, socketPath);
  } finally {
    process.umask(previousMask);
  }
  await chmod(socketPath, 0o600);
  try {
    await listen(tcpServer, tcp, `${tcp.host}:${tcp.port}`);
  } catch (error) {
    unixServer.close();
    await rm(socketPath, { force: true });
    throw error;
  }
  const address = tcpServer.address() as net.AddressInfo;
  return {
    tcpAddress: { host: tcp.host, port: address.port },
    async close() {
      for (const server of [unixServer, tcpServer]) {
        server.closeIdleConnections();
        // Long-lived log streams must not hold shutdown hostage.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }
      await Promise.all([unixServer, tcpServer].map((server) => new Promise((resolve) => server.close(resolve))));
      await rm(socketPath, { force: true });
    },
  };
}
