import type { Duplex } from "node:stream";
import { unreachableError } from "../connection-errors.ts";
import { type Endpoint, parseHost } from "./endpoint.ts";
import { connectPinned } from "./tls.ts";

/**
 * Where and how to open a WebSocket to the daemon, in the terms of Node WebSocket clients (`ws`):
 * the URL (`ws+unix://` for the socket), the auth header, and for https with a pinned fingerprint a
 * connection already checked against it (pass it as `createConnection`).
 */
export interface SocketTarget {
  url: string;
  headers: Record<string, string>;
  socket?: Duplex;
}

export async function socketTarget(endpoint: Endpoint, path: string): Promise<SocketTarget> {
  const parsed = parseHost(endpoint.host);
  const headers: Record<string, string> = endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {};
  if (parsed.kind === "unix") return { url: `ws+unix://${parsed.socketPath}:${path}`, headers };
  const url = `${parsed.kind === "https" ? "wss" : "ws"}://${new URL(parsed.origin).host}${path}`;
  if (parsed.kind !== "https" || !endpoint.fingerprint) return { url, headers };
  try {
    return { url, headers, socket: await connectPinned(parsed.origin, endpoint.fingerprint) };
  } catch (error) {
    throw unreachableError(endpoint.host, error);
  }
}
