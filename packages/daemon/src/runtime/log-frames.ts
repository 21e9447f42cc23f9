import { Transform, type TransformCallback } from "node:stream";
import type { LogLine } from "./runtime.ts";

const HEADER_BYTES = 8;

/**
 * Turns Docker's multiplexed log stream (8-byte header: stream type, 3 zero bytes, big-endian
 * length) with `timestamps=true` into LogLine objects, one per line. Frames may arrive split
 * across chunks; partial lines wait for their newline.
 */
export class LogFrameParser extends Transform {
  private buffered = Buffer.alloc(0);
  private readonly partial = { stdout: "", stderr: "" };
  private readonly instance: string;

  constructor(instance: string) {
    super({ readableObjectMode: true });
    this.instance = instance;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= HEADER_BYTES) {
      const length = this.buffered.readUInt32BE(4);
      if (this.buffered.length < HEADER_BYTES + length) break;
      const stream = this.buffered[0] === 2 ? "stderr" : "stdout";
      const payload = this.buffered.subarray(HEADER_BYTES, HEADER_BYTES + length).toString("utf8");
      this.buffered = this.buffered.subarray(HEADER_BYTES + length);
      this.pushText(stream, payload);
    }
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
