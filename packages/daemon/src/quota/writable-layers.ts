import { formatBytes, type QuotaLimits } from "@minicloud/shared";
import type { Logger } from "pino";
import { isServing } from "../apps/records.ts";
import type { EventBus } from "../events/bus.ts";
import type { Runtime } from "../runtime/runtime.ts";
import type { State } from "../store/schema.ts";
import { type MeasuredStorage, storageOf } from "./usage.ts";

export interface WritableLayerDeps {
  state: () => Readonly<State>;
  runtime: Runtime;
  events: EventBus;
  logger: Logger;
  quotaOf: (tenant: string) => QuotaLimits;
  /** Stops an app (desired state stopped); its containers, and what they wrote, are kept. */
  stopApp: (tenant: string, app: string) => Promise<void>;
  intervalMs: number;
  /** The tenant's built images, counted in its storage too. */
  images?: MeasuredStorage | undefined;
}

interface Measured {
  tenant: string;
  app: string;
  bytes: number;
}

/**
 * Meters what instances with a writable root filesystem (`--writable-rootfs`) wrote into their
 * container layer, and holds it to the tenant's storage quota: overlay2 on ext4 has no per-container
 * size limit, so the bound is a sample every `intervalMs` (the engine walks the layer to size it),
 * and a tenant over its limit has its writing apps stopped, largest first, with
 * `instance.disk_exceeded`. Between two samples a container can write past the limit: that much is
 * the granularity. The bytes live in memory only (they are measured again after a restart).
 */
export class WritableLayers {
  private readonly deps: WritableLayerDeps;
  /** The last sample, by container id. */
  private measured = new Map<string, Measured>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(deps: WritableLayerDeps) {
    this.deps = deps;
  }

  /** Bytes the tenant's containers had written at the last sample; containers gone since do not count. */
  bytesOf(tenant: string): number {
    let bytes = 0;
    for (const m of this.measured.values()) if (m.tenant === tenant) bytes += m.bytes;
    return bytes;
  }

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.deps.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  /** One sample and what it calls for; a sample still running is not started twice. */
  sample(): Promise<void> {
    this.sampling ??= this.measureAndEnforce()
      .catch((error) => this.deps.logger.warn({ err: error }, "metering writable root filesystems failed"))
      .finally(() => {
        this.sampling = undefined;
      });
    return this.sampling;
  }

  private async measureAndEnforce(): Promise<void> {
    const next = new Map<string, Measured>();
    // One container at a time: each answer walks a layer on disk, and the host has few cores.
    for (const app of this.deps.state().apps) {
      if (app.spec.readOnlyRootfs) continue;
      for (const instance of app.instances) {
        const bytes = await this.deps.runtime.writableLayerBytes(instance.containerId);
        if (bytes !== undefined) next.set(instance.containerId, { tenant: app.tenant, app: app.name, bytes });
      }
    }
    this.measured = next;
    for (const tenant of new Set([...next.values()].map((m) => m.tenant))) await this.enforce(tenant);
  }

  /**
   * A tenant over its storage limit has every running app that wrote into its root filesystem
   * stopped: a stopped app's layer stays on disk (and counted) until the app is destroyed, so
   * stopping one frees nothing — it only ends the growth.
   */
  private async enforce(tenant: string): Promise<void> {
    const state = this.deps.state();
    const limit = this.deps.quotaOf(tenant).maxStorage;
    const others = storageOf(state, tenant) + (this.deps.images?.bytesOf(tenant) ?? 0);
    const total = others + this.bytesOf(tenant);
    if (total <= limit) return;
    const byApp = new Map<string, number>();
    for (const m of this.measured.values()) if (m.tenant === tenant) byApp.set(m.app, (byApp.get(m.app) ?? 0) + m.bytes);
    for (const [app, bytes] of [...byApp].sort((a, b) => b[1] - a[1])) {
      const record = state.apps.find((a) => a.tenant === tenant && a.name === app);
      if (bytes === 0 || !record || !isServing(record) || record.operation) continue;
      try {
        await this.deps.stopApp(tenant, app);
      } catch (error) {
        // A deploy in flight, say: the next sample tries again.
        this.deps.logger.warn({ err: error, tenant, app }, "stopping an app over its storage quota failed");
        continue;
      }
      this.deps.events.publish({
        tenant,
        app,
        release: record.release,
        type: "instance.disk_exceeded",
        message: `${app} stopped: its writable root filesystem holds ${formatBytes(bytes)}, and tenant ${tenant}'s storage (volumes, snapshots, images, writable layers) came to ${formatBytes(total)}, over its limit of ${formatBytes(limit)} — write to a volume instead, free storage (mc apps destroy frees the layer), or ask an admin to raise it (mc tenants quota --max-storage)`,
        data: { writableBytes: bytes, storageBytes: total, limitBytes: limit, otherStorageBytes: others },
      });
      this.deps.logger.warn({ tenant, app, bytes, total, limit }, "app stopped: storage quota exceeded by its writable layer");
    }
  }
}
