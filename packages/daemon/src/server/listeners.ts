import { chmod, mkdir, rm } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import net from "node:net";
import path from "node:path";
import { createAdaptorServer, type HttpBindings } from "@hono/node-server";
import type { TlsMaterial } from "./tls-cert.ts";

type Fetch = (request: Request, env: HttpBindings & { transport: "unix" | "tcp" }) => Response | Promise<Response>;

export class ListenError extends Error {}

function adaptor(fetch: Fetch, transport: "unix" | "tcp", tls?: TlsMaterial): Server {
  const handler = (request: Request, env: HttpBindings) => fetch(request, { ...env, transport });
  if (tls) {
    return createAdaptorServer({
      fetch: handler as never,
      createServer: createHttpsServer,
      serverOptions: { cert: tls.cert, key: tls.key },
    }) as Server;
  }
  return createAdaptorServer({ fetch: handler as never, createServer: createHttpServer }) as Server;
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
): Promise<Listeners> {
  await mkdir(path.dirname(socketPath), { recursive: true, mode: 0o755 });
  await claimSocket(socketPath);
  const unixServer = adaptor(fetch, "unix");
  const tcpServer = adaptor(fetch, "tcp", tls);
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
