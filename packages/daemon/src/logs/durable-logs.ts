import path from "node:path";
import type { Readable } from "node:stream";
import type { PlatformEvent } from "@minicloud/shared";
import type { Logger } from "pino";
import type { Runtime, RuntimeEvent } from "../runtime/runtime.ts";
import { LogCollector } from "./collector.ts";
import { LogStore } from "./log-store.ts";
import { type LogQuery, readStored } from "./reader.ts";

export interface DurableLogsOptions {
  dataDir: string;
  /** Bytes of stored logs per tenant (MC_LOG_BYTES_PER_TENANT). */
  bytesPerTenant: number;
  /** Bytes one instance may log per second before lines are dropped (MC_LOG_RATE). */
  bytesPerSecond: number;
  runtime: Runtime;
  releaseOf: (tenant: string, app: string, instance: string) => number;
  logger: Logger;
}

/**
 * The daemon's own copy of every instance's output (replaced, crashed and removed instances too),
 * under `<data dir>/app-logs` (`logs/` holds the supervised processes' own logs): collected as the engine produces it, capped per tenant, searchable.
 */
export class DurableLogs {
  private readonly store: LogStore;
  private readonly collector: LogCollector;
  private readonly logger: Logger;

  private constructor(store: LogStore, collector: LogCollector, logger: Logger) {
    this.store = store;
    this.collector = collector;
    this.logger = logger;
  }

  static async open(options: DurableLogsOptions): Promise<DurableLogs> {
    const store = await LogStore.open({
      dir: path.join(options.dataDir, "app-logs"),
      bytesPerTenant: options.bytesPerTenant,
      logger: options.logger,
    });
    const collector = new LogCollector({ ...options, store });
    return new DurableLogs(store, collector, options.logger);
  }

  async start(): Promise<void> {
    this.store.start();
    await this.collector.start();
  }

  async stop(): Promise<void> {
    this.collector.stop();
    await this.store.stop();
  }

  onEngineEvent(event: RuntimeEvent): void {
    this.collector.onEngineEvent(event);
  }

  onPlatformEvent(event: PlatformEvent): void {
    if (event.type === "app.destroyed" && event.app) {
      void this.store
        .removeApp(event.tenant, event.app)
        .catch((error) => this.logger.warn({ err: error }, "could not remove an app's logs"));
      return;
    }
    this.collector.onPlatformEvent(event);
  }

  /** The app's stored lines as NDJSON; first collects what the engine holds that is not stored yet. */
  async read(tenant: string, app: string, query: LogQuery): Promise<Readable> {
    try {
      await this.collector.sync(tenant, app);
    } catch (error) {
      // The engine is away: what is stored is still worth reading.
      this.logger.warn({ err: error, tenant, app }, "could not collect an app's newest log lines before a read");
    }
    return readStored(this.store.segments(tenant, app, query.sinceMs), query);
  }

  /** Forgets every log of a tenant that is being deleted. */
  removeTenant(tenant: string): Promise<void> {
    return this.store.removeTenant(tenant);
  }

  /** Bytes of stored logs of the tenant. */
  bytesOf(tenant: string): number {
    return this.store.bytesOf(tenant);
  }
}
