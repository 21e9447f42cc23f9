import { Readable } from "node:stream";

/** Streams newline-delimited JSON (logs, audit entries) as a chunked response. */
export function ndjsonResponse(stream: Readable): Response {
  return new Response(Readable.toWeb(stream) as ReadableStream, { headers: { "content-type": "application/x-ndjson" } });
}
