import { type FileHandle, open, stat } from "node:fs/promises";

/** Requests one host answered since the last read. */
export interface HostTraffic {
  requests: number;
  /** By status class: index 0 is 1xx … index 4 is 5xx. */
  classes: [number, number, number, number, number];
  durationSeconds: number;
}

/** The most bytes one read takes; beyond that (a flood between two passes) the older lines are skipped. */
const MAX_READ_BYTES = 64 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;
const HOST = /"host":"([^"]*)"/;
const STATUS = /"status":(\d{3})/;
const DURATION = /"duration":([\d.e+-]+)/;

/**
 * Follows Caddy's access log (ingress/access-log.ts) and counts requests per host. Starts at the
 * file's end (traffic before the daemon started is not counted again); a rolled file is read to
 * its end before the new one is opened. Lines are picked apart with three small patterns rather
 * than JSON.parse: under load there are thousands per second.
 */
export class AccessLogReader {
  private readonly file: string;
  private handle: FileHandle | undefined;
  private inode = 0;
  private offset = 0;
  private partial = "";
  private started = false;

  constructor(file: string) {
    this.file = file;
  }

  /** What was logged since the last call, by host (lower case, without port or trailing dot). */
  async take(): Promise<Map<string, HostTraffic>> {
    const traffic = new Map<string, HostTraffic>();
    const current = await stat(this.file).catch(() => undefined);
    if (!this.started) {
      this.started = true;
      if (current) await this.openAt(current.ino, current.size);
      return traffic;
    }
    if (this.handle && current && current.ino !== this.inode) {
      // Rolled: the rest of the old file first.
      await this.readInto(traffic);
      await this.close();
    }
    if (!this.handle && current) await this.openAt(current.ino, 0);
    if (this.handle) await this.readInto(traffic);
    return traffic;
  }

  async close(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    this.partial = "";
  }

  private async openAt(inode: number, offset: number): Promise<void> {
    this.handle = await open(this.file, "r").catch(() => undefined);
    this.inode = inode;
    this.offset = offset;
    this.partial = "";
  }

  private async readInto(traffic: Map<string, HostTraffic>): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    const { size } = await handle.stat();
    if (size < this.offset) this.offset = 0;
    if (size - this.offset > MAX_READ_BYTES) {
      this.offset = size - MAX_READ_BYTES;
      this.partial = "";
      // Lands mid-line: the first, cut line is dropped below as a partial without a start.
      const skipped = await this.readChunk(handle, size);
      this.partial = skipped.slice(skipped.indexOf("\n") + 1);
      this.count(traffic);
    }
    while (this.offset < size) {
      this.partial += await this.readChunk(handle, size);
      this.count(traffic);
    }
  }

  private async readChunk(handle: FileHandle, size: number): Promise<string> {
    const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, size - this.offset));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
    this.offset += bytesRead;
    if (bytesRead === 0) this.offset = size;
    return buffer.toString("utf8", 0, bytesRead);
  }

  /** Counts the complete lines in `partial`, keeping an unfinished last one. */
  private count(traffic: Map<string, HostTraffic>): void {
    const lines = this.partial.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      const host = HOST.exec(line)?.[1];
      const status = Number(STATUS.exec(line)?.[1]);
      if (host === undefined || !(status >= 100 && status < 600)) continue;
      const key = normalHost(host);
      let entry = traffic.get(key);
      if (!entry) {
        entry = { requests: 0, classes: [0, 0, 0, 0, 0], durationSeconds: 0 };
        traffic.set(key, entry);
      }
      entry.requests++;
      const index = Math.floor(status / 100) - 1;
      entry.classes[index] = (entry.classes[index] ?? 0) + 1;
      entry.durationSeconds += Number(DURATION.exec(line)?.[1]) || 0;
    }
  }
}

/** `Web.Acme.localhost:8080.` and `web.acme.localhost` are one host. */
export function normalHost(host: string): string {
  const withoutPort = host.startsWith("[") ? host : host.replace(/:\d+$/, "");
  return withoutPort.replace(/\.$/, "").toLowerCase();
}
