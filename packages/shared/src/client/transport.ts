import type { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import { CertificateMismatchError, ConnectionError, unreachableError } from "../connection-errors.ts";
import { type ApiError, problemError } from "../errors.ts";

export { CertificateMismatchError, ConnectionError };

import { type Endpoint, normaliseFingerprint, type ParsedHost, parseHost } from "./endpoint.ts";
import { plainRequest } from "./plain-http.ts";
import type { Dispatcher } from "./undici-core.ts";

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
  /** undici, loaded on first use: a command that only sends JSON to the socket never loads it. */
  private dispatcher: Promise<Dispatcher> | undefined;

  constructor(endpoint: Endpoint) {
    this.endpoint = endpoint;
    this.parsed = parseHost(endpoint.host);
  }

  /**
   * The daemon's JSON answer, typed by the shared schemas' types. Not re-validated here: the daemon
   * builds its answers from the same types, the contract test parses every kind of answer with the
   * schemas, and loading zod would cost every read-only command ~70 ms of start-up.
   */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const parsed = this.parsed;
    const text =
      parsed.kind === "unix" && !isStream(options.body)
        ? await this.sendPlain(parsed.socketPath, method, path, options)
        : await (await this.send(method, path, options)).text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Returns the raw response body for streams (logs, build output); errors are still typed. */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<Readable> {
    return this.send(method, path, options);
  }

  async close(): Promise<void> {
    await (await this.dispatcher)?.close();
  }

  /** The path with its query, and the headers every request carries. */
  private prepare(path: string, options: RequestOptions): { url: URL; headers: Record<string, string> } {
    const url = new URL(path, this.parsed.kind === "unix" ? "http://mcd" : this.parsed.origin);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (this.endpoint.apiKey) headers.authorization = `Bearer ${this.endpoint.apiKey}`;
    return { url, headers };
  }

  /** A JSON request on the socket without undici (plain-http.ts): the answer's text, errors typed as send()'s. */
  private async sendPlain(socketPath: string, method: string, path: string, options: RequestOptions): Promise<string> {
    const { url, headers } = this.prepare(path, options);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) headers["content-type"] ??= "application/json";
    let response: { statusCode: number; body: string };
    try {
      response = await plainRequest(socketPath, method, `${url.pathname}${url.search}`, headers, payload);
    } catch (error) {
      throw this.connectionError(error);
    }
    if (response.statusCode >= 400) throw problemError(response.statusCode, response.body);
    return response.body;
  }

  private async send(method: string, path: string, options: RequestOptions) {
    const { url, headers } = this.prepare(path, options);
    let payload: string | Readable | undefined;
    if (options.body !== undefined) {
      const stream = isStream(options.body);
      payload = stream ? (options.body as Readable) : JSON.stringify(options.body);
      headers["content-type"] ??= stream ? "application/octet-stream" : "application/json";
    }
    this.dispatcher ??= import("./undici-core.ts").then((undici) => createDispatcher(undici, this.parsed, this.endpoint.fingerprint));
    let response: Dispatcher.ResponseData;
    try {
      response = await (await this.dispatcher).request({
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

function isStream(body: unknown): boolean {
  return typeof (body as Readable | undefined)?.pipe === "function";
}

function createDispatcher(
  { Agent, buildConnector }: typeof import("./undici-core.ts"),
  parsed: ParsedHost,
  fingerprint: string | undefined,
): Dispatcher {
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
