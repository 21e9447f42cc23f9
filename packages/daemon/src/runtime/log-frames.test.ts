import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import { LogFrameParser } from "./log-frames.ts";
import type { LogLine } from "./runtime.ts";

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function parse(chunks: Buffer[]): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of Readable.from(chunks).pipe(new LogFrameParser("abc"))) lines.push(line as LogLine);
  return lines;
}

test("frames become timestamped lines per stream", async () => {
  const lines = await parse([frame(1, "2026-01-01T00:00:00Z hello\n"), frame(2, "2026-01-01T00:00:01Z oops\n")]);
  assert.deepEqual(lines, [
    { ts: "2026-01-01T00:00:00Z", instance: "abc", stream: "stdout", line: "hello" },
    { ts: "2026-01-01T00:00:01Z", instance: "abc", stream: "stderr", line: "oops" },
  ]);
});

test("frames split across chunks and lines split across frames are reassembled", async () => {
  const whole = Buffer.concat([frame(1, "2026-01-01T00:00:00Z par"), frame(1, "tial\n2026-01-01T00:00:02Z last")]);
  const lines = await parse([whole.subarray(0, 5), whole.subarray(5, 20), whole.subarray(20)]);
  assert.deepEqual(
    lines.map((l) => l.line),
    ["partial", "last"],
  );
});
