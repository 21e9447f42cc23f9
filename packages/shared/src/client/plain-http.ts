import { connect } from "node:net";

export interface PlainResponse {
  statusCode: number;
  body: string;
}

/**
 * One HTTP/1.1 request with a JSON (or no) body over a Unix socket, its answer read to the end: what
 * `mc` sends most. undici costs ~35 ms of CPU to load and start (its parser is WebAssembly), which
 * was a third of `mc status`; this costs ~5 ms. The connection closes after the answer (a local
 * socket connects in microseconds), so the answer ends where the stream ends. Streams, request
 * bodies that are streams, and TCP keep undici.
 */
export function plainRequest(
  socketPath: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<PlainResponse> {
  const lines = [`${method} ${path} HTTP/1.1`, "host: mcd", "connection: close"];
  // As undici does: a length for every body, and 0 for a POST, PUT or PATCH without one.
  const length = body !== undefined ? Buffer.byteLength(body) : /^(POST|PUT|PATCH)$/.test(method) ? 0 : undefined;
  for (const [name, value] of Object.entries({ ...headers, ...(length === undefined ? {} : { "content-length": String(length) }) })) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) return Promise.reject(new Error(`invalid header ${JSON.stringify(name)}`));
    lines.push(`${name}: ${value}`);
  }
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    socket.once("connect", () => socket.write(`${lines.join("\r\n")}\r\n\r\n${body ?? ""}`));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("error", reject);
    socket.once("end", () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      } finally {
        socket.destroy();
      }
    });
  });
}

/** A whole HTTP/1.1 answer: its status and its body (by content-length, chunked, or to the end). */
export function parseResponse(raw: Buffer): PlainResponse {
  const headEnd = raw.indexOf("\r\n\r\n");
  if (headEnd < 0) throw incomplete();
  const [statusLine = "", ...headerLines] = raw.subarray(0, headEnd).toString("latin1").split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!status) throw new Error(`not an HTTP answer: ${JSON.stringify(statusLine.slice(0, 40))}`);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = raw.subarray(headEnd + 4);
  if (/\bchunked\b/i.test(headers.get("transfer-encoding") ?? "")) body = dechunk(body);
  else if (headers.has("content-length")) {
    const length = Number(headers.get("content-length"));
    if (!Number.isSafeInteger(length) || body.length < length) throw incomplete();
    body = body.subarray(0, length);
  }
  return { statusCode: Number(status[1]), body: body.toString("utf8") };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd < 0) throw incomplete();
    // The size in hex, maybe followed by `;extensions`.
    const size = Number.parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
    if (Number.isNaN(size)) throw new Error("a malformed chunk in the daemon's answer");
    if (size === 0) return Buffer.concat(parts);
    if (data.length < lineEnd + 2 + size) throw incomplete();
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

function incomplete(): Error {
  return Object.assign(new Error("the connection closed before the daemon's answer was complete"), { code: "ECONNRESET" });
}
