import type { Logger } from "pino";
import type { Runtime } from "../runtime/runtime.ts";
import type { MeasuredStorage } from "./usage.ts";

/** How old a tenant's figure may be before a read asks the engine again (in the background). */
const MAX_AGE_MS = 60_000;

/**
 * Bytes of each tenant's images on the engine (its builds, and its pulls: `pulled` answers those
 * from state, each image once per tenant that pulled it), part of its storage. Kept per tenant
 * and refreshed after each build, and in the background when a read finds the figure older than a
 * minute (images also go away with pruned releases and destroyed apps): a quota read never waits
 * for the engine.
 */
export class ImageBytes implements MeasuredStorage {
  private readonly runtime: Runtime;
  private readonly logger: Logger;
  private readonly known = new Map<string, { bytes: number; at: number }>();
  private readonly inFlight = new Map<string, Promise<number>>();

  private readonly more: ((tenant: string) => Promise<number>) | undefined;
  /** Bound late (images/ needs the store first): the tenant's pulled bytes, from state. */
  pulled: (tenant: string) => number = () => 0;

  /** `more`: the tenant's bytes elsewhere that count as images too (the built-in registry's). */
  constructor(runtime: Runtime, logger: Logger, more?: (tenant: string) => Promise<number>) {
    this.runtime = runtime;
    this.logger = logger;
    this.more = more;
  }

  bytesOf(tenant: string): number {
    const known = this.known.get(tenant);
    if (!known || Date.now() - known.at > MAX_AGE_MS) {
      this.refresh(tenant).catch((error) => this.logger.warn({ err: error, tenant }, "could not size the tenant's images"));
    }
    return (known?.bytes ?? 0) + this.pulled(tenant);
  }

  /** Asks the engine now (one image list of the tenant's label); concurrent callers share it. */
  refresh(tenant: string): Promise<number> {
    const pending = this.inFlight.get(tenant);
    if (pending) return pending;
    const asking = Promise.all([this.runtime.tenantImageBytes(tenant), this.more?.(tenant) ?? 0])
      .then(([engine, elsewhere]) => engine + elsewhere)
      .then((bytes) => {
        this.known.set(tenant, { bytes, at: Date.now() });
        return bytes + this.pulled(tenant);
      })
      .finally(() => this.inFlight.delete(tenant));
    this.inFlight.set(tenant, asking);
    return asking;
  }
}
