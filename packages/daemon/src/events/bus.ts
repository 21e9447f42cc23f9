import { EventEmitter } from "node:events";
import { appendFile, readFile } from "node:fs/promises";
import path from "node:path";
import type { EventType, PlatformEvent } from "@minicloud/shared";
import type { Logger } from "pino";
import { Serial } from "../common/keyed-mutex.ts";

export interface EventInput {
  tenant: string;
  type: EventType;
  message: string;
  app?: string | undefined;
  instance?: string | undefined;
  release?: number | undefined;
  data?: Record<string, unknown>;
}

/** Recent events kept in memory for history queries; the file keeps all of them. */
const RECENT = 5000;

/**
 * The one stream of state changes. Appended to `events.log` (JSON lines, outside lowdb, so an event
 * costs the same with 10 apps or 1,000), kept in a bounded in-memory window for history, and
 * pushed to live subscribers (the WebSocket, `mc events -f`).
 */
export class EventBus extends EventEmitter<{ event: [PlatformEvent] }> {
  private readonly file: string;
  private readonly logger: Logger;
  private readonly writes = new Serial();
  private readonly recent: PlatformEvent[] = [];
  private lastId = 0;

  private constructor(dataDir: string, logger: Logger) {
    super();
    this.setMaxListeners(0);
    this.file = path.join(dataDir, "events.log");
    this.logger = logger;
  }

  static async open(dataDir: string, logger: Logger): Promise<EventBus> {
    const bus = new EventBus(dataDir, logger);
    const text = await readFile(bus.file, "utf8").catch(() => "");
    const lines = text.trimEnd().split("\n").filter(Boolean).slice(-RECENT);
    for (const line of lines) {
      try {
        bus.recent.push(JSON.parse(line) as PlatformEvent);
      } catch {
        // a torn last line after a crash: skip it
      }
    }
    bus.lastId = bus.recent.at(-1)?.id ?? 0;
    return bus;
  }

  /** Records an event: in order, durable, then delivered live. Never throws: events must not break the change they describe. */
  publish(input: EventInput): PlatformEvent {
    const event: PlatformEvent = {
      id: ++this.lastId,
      time: new Date().toISOString(),
      tenant: input.tenant,
      app: input.app ?? null,
      instance: input.instance ?? null,
      release: input.release ?? null,
      type: input.type,
      message: input.message,
      data: input.data ?? {},
    };
    this.recent.push(event);
    if (this.recent.length > RECENT) this.recent.shift();
    void this.writes
      .run(() => appendFile(this.file, `${JSON.stringify(event)}\n`, { mode: 0o600 }))
      .catch((error) => this.logger.warn({ err: error }, "could not append to events.log"));
    this.emit("event", event);
    return event;
  }

  /** Recent events visible to `tenant` (all for an admin with no tenant filter), oldest first. */
  history(filter: { tenant?: string | undefined; app?: string | undefined; after?: number | undefined; limit: number }): PlatformEvent[] {
    return this.recent.filter((e) => matches(e, filter)).slice(-filter.limit);
  }
}

export function matches(
  event: PlatformEvent,
  filter: { tenant?: string | undefined; app?: string | undefined; after?: number | undefined },
): boolean {
  return (
    (filter.tenant === undefined || event.tenant === filter.tenant) &&
    (filter.app === undefined || event.app === filter.app) &&
    (filter.after === undefined || event.id > filter.after)
  );
}
