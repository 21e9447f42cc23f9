import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/** Prints an NDJSON stream: raw lines with --json, else each parsed entry through `render`. */
export async function printNdjson<T>(stream: Readable, json: boolean, render: (entry: T) => string): Promise<void> {
  for await (const text of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (!text) continue;
    process.stdout.write(`${json ? text : render(JSON.parse(text) as T)}\n`);
  }
}
