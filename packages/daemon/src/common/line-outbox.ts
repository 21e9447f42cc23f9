import { Readable } from "node:stream";

/** Bytes queued for one reader before producers are asked to pause. */
export const OUTBOX_HIGH_WATER_BYTES = 256 * 1024;
/** Bytes queued for one reader beyond which lines are dropped (or the stream cut): the per-connection bound. */
export const OUTBOX_MAX_BYTES = 4 * 1024 * 1024;

export interface LineOutboxOptions {
  highWaterMark?: number;
  maxBytes?: number;
  /**
   * What happens to a line that finds `maxBytes` queued: `drop` counts it and, once the reader has
   * caught up, sends `marker(count)` in place of the dropped lines; `end` takes no more lines and ends
   * the stream after what is queued (for streams a reader can resume, such as events by id).
   */
  overflow: { drop: (count: number) => string } | "end";
  /** The reader fell behind (`true`: pause the source) or caught up (`false`: resume it). */
  onPressure?: (behind: boolean) => void;
  /** `overflow: "end"` cut the stream: stop producing. */
  onCut?: () => void;
}

/**
 * An NDJSON stream for one reader with a bounded buffer. Producers `offer` whole lines; when the
 * reader (the HTTP response, through Readable.toWeb) falls behind, `onPressure(true)` asks them to
 * pause, and past `maxBytes` lines are dropped with a counted marker (or the stream is cut), so a
 * client that stops reading costs at most `maxBytes` of daemon memory.
 */
export class LineOutbox extends Readable {
  private readonly maxBytes: number;
  private readonly options: LineOutboxOptions;
  private dropped = 0;
  private behind = false;
  private finished = false;

  constructor(options: LineOutboxOptions) {
    super({ highWaterMark: options.highWaterMark ?? OUTBOX_HIGH_WATER_BYTES });
    this.options = options;
    this.maxBytes = options.maxBytes ?? OUTBOX_MAX_BYTES;
  }

  /** Lines dropped so far that the reader has not yet been told about. */
  get droppedLines(): number {
    return this.dropped;
  }

  /**
   * Queues one line (without its newline). `force` queues it whatever the backlog (a stream's last
   * word, such as a build's result). Returns false when the producer should pause.
   */
  offer(line: string, force = false): boolean {
    if (this.finished || this.destroyed) return false;
    if (!force && this.readableLength >= this.maxBytes) {
      this.overflowed();
      return false;
    }
    this.sendMarker();
    const more = this.push(`${line}\n`);
    if (!more) this.setBehind(true);
    return more;
  }

  /** Ends the stream after what is queued (and the marker for lines dropped last). */
  finish(): void {
    if (this.finished || this.destroyed) return;
    this.sendMarker();
    this.finished = true;
    this.push(null);
  }

  override _read(): void {
    this.sendMarker();
    this.setBehind(false);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.finished = true;
    callback(error);
  }

  private overflowed(): void {
    const { overflow } = this.options;
    if (overflow === "end") {
      this.finish();
      this.options.onCut?.();
      return;
    }
    this.dropped++;
    this.setBehind(true);
  }

  private sendMarker(): void {
    const { overflow } = this.options;
    if (this.dropped === 0 || overflow === "end" || this.finished) return;
    const count = this.dropped;
    this.dropped = 0;
    this.push(`${overflow.drop(count)}\n`);
  }

  private setBehind(behind: boolean): void {
    if (this.behind === behind) return;
    this.behind = behind;
    this.options.onPressure?.(behind);
  }
}
