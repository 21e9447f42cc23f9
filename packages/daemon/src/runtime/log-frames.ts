import { Transform, type TransformCallback } from "node:stream";
import type { LogLine } from "./runtime.ts";

const HEADER_BYTES = 8;

export interface StreamFrame {
  stream: "stdout" | "stderr";
  payload: Buffer;
}

/**
 * Splits Docker's multiplexed stream (8-byte header: stream type, 3 zero bytes, big-endian length,
 * then the payload) into whole frames; `rest` is an incomplete frame that waits for more bytes.
 */
export function takeFrames(buffered: Buffer): { frames: StreamFrame[]; rest: Buffer } {
  const frames: StreamFrame[] = [];
  let offset = 0;
  while (buffered.length - offset >= HEADER_BYTES) {
    const length = buffered.readUInt32BE(offset + 4);
    if (buffered.length - offset < HEADER_BYTES + length) break;
    const stream = buffered[offset] === 2 ? "stderr" : "stdout";
    frames.push({ stream, payload: buffered.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length) });
    offset += HEADER_BYTES + length;
  }
  return { frames, rest: buffered.subarray(offset) };
}

/**
 * Turns Docker's multiplexed log stream with `timestamps=true` into LogLine objects, one per line. Frames may arrive split
 * across chunks; partial lines wait for their newline.
 */
export class LogFrameParser extends Transform {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly partial = { stdout: "", stderr: "" };
  private readonly instance: string;

  constructor(instance: string) {
    super({ readableObjectMode: true });
    this.instance = instance;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const { frames, rest } = takeFrames(Buffer.concat([this.buffered, chunk]));
    this.buffered = rest;
    for (const frame of frames) this.pushText(frame.stream, frame.payload.toString("utf8"));
    done();
  }

  override _flush(done: TransformCallback): void {
    for (const stream of ["stdout", "stderr"] as const) {
      if (this.partial[stream]) this.pushLine(stream, this.partial[stream]);
    }
    done();
  }

  private pushText(stream: "stdout" | "stderr", text: string): void {
    const lines = (this.partial[stream] + text).split("\n");
    this.partial[stream] = lines.pop() ?? "";
    for (const line of lines) this.pushLine(stream, line);
  }

  private pushLine(stream: "stdout" | "stderr", raw: string): void {
    const space = raw.indexOf(" ");
    const ts = space > 0 ? raw.slice(0, space) : "";
    const line = space > 0 ? raw.slice(space + 1) : raw;
    this.push({ ts, instance: this.instance, stream, line: line.replace(/\r$/, "") } satisfies LogLine);
  }
}
