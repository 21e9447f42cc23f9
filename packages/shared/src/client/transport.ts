import type { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import { CertificateMismatchError, ConnectionError, unreachableError } from "../connection-errors.ts";
import { type ApiError, problemError } from "../errors.ts";

export { CertificateMismatchError, ConnectionError };

import { type Endpoint, normaliseFingerprint, type ParsedHost, parseHost } from "./endpoint.ts";
import { Agent, buildConnector, type Dispatcher } from "./undici-core.ts";

export type Query = Record<string, string | number | boolean | undefined>;

/** The answer of a delete. */
export interface Ok {
  ok: true;
}

export interface RequestOptions {
  body?: unknown;
  query?: Query | undefined;
  headers?: Record<string, string>;
}

/** Thin transport: base URL, auth, certificate pinning, and one typed error for every failure. */
export class Transport {
  readonly endpoint: Endpoint;
  private readonly parsed: ParsedHost;
  private readonly dispatcher: Dispatcher;

  constructor(endpoint: Endpoint) {
    this.endpoint = endpoint;
    this.parsed = parseHost(endpoint.host);
    this.dispatcher = createDispatcher(this.parsed, endpoint.fingerprint);
  }

  /**
   * The daemon's JSON answer, typed by the shared schemas' types. Not re-validated here: the daemon
   * builds its answers from the same types, the contract test parses every kind of answer with the
   * schemas, and loading zod would cost every read-only command ~70 ms of start-up.
   */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const body = await this.send(method, path, options);
    const text = await body.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Returns the raw response body for streams (logs, build output); errors are still typed. */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<Readable> {
    return this.send(method, path, options);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async send(method: string, path: string, options: RequestOptions) {
    const url = new URL(path, this.parsed.kind === "unix" ? "http://mcd" : this.parsed.origin);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (this.endpoint.apiKey) headers.authorization = `Bearer ${this.endpoint.apiKey}`;
    let payload: string | Readable | undefined;
    if (options.body !== undefined) {
      const isStream = typeof (options.body as Readable).pipe === "function";
      payload = isStream ? (options.body as Readable) : JSON.stringify(options.body);
      headers["content-type"] ??= isStream ? "application/octet-stream" : "application/json";
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: payload ?? null,
      });
    } catch (error) {
      throw this.connectionError(error);
    }
    if (response.statusCode >= 400) throw await toApiError(response);
    return response.body;
  }

  private connectionError(error: unknown): Error {
    return unreachableError(this.endpoint.host, error);
  }
}

function createDispatcher(parsed: ParsedHost, fingerprint: string | undefined): Dispatcher {
  if (parsed.kind === "unix") return new Agent({ connect: { socketPath: parsed.socketPath } });
  if (parsed.kind === "https" && fingerprint) {
    const expected = normaliseFingerprint(fingerprint);
    // A self-signed certificate fails chain verification; the pinned fingerprint is the trust anchor instead.
    const connector = buildConnector({ rejectUnauthorized: false });
    return new Agent({
      connect: (options, callback) =>
        connector(options, (error, socket) => {
          if (error || !socket) return callback(error ?? new Error("no socket"), null);
          const actual = normaliseFingerprint((socket as TLSSocket).getPeerCertificate().fingerprint256 ?? "");
          if (actual !== expected) {
            socket.destroy();
            return callback(new CertificateMismatchError(expected, actual), null);
          }
          callback(null, socket);
        }),
    });
  }
  return new Agent();
}

async function toApiError(response: Dispatcher.ResponseData): Promise<ApiError> {
  return problemError(response.statusCode, await response.body.text());
}
