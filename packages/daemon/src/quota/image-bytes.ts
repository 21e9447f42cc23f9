import type { Logger } from "pino";
import type { Runtime } from "../runtime/runtime.ts";
import type { MeasuredStorage } from "./usage.ts";

/** How old a tenant's figure may be before a read asks the engine again (in the background). */
const MAX_AGE_MS = 60_000;

/**
 * Bytes of each tenant's images on the engine (its builds), part of its storage. Kept per tenant
 * and refreshed after each build, and in the background when a read finds the figure older than a
 * minute (images also go away with pruned releases and destroyed apps): a quota read never waits
 * for the engine.
 */
export class ImageBytes implements MeasuredStorage {
  private readonly runtime: Runtime;
  private readonly logger: Logger;
  private readonly known = new Map<string, { bytes: number; at: number }>();
  private readonly inFlight = new Map<string, Promise<number>>();

  constructor(runtime: Runtime, logger: Logger) {
    this.runtime = runtime;
    this.logger = logger;
  }

  bytesOf(tenant: string): number {
    const known = this.known.get(tenant);
    if (!known || Date.now() - known.at > MAX_AGE_MS) {
      this.refresh(tenant).catch((error) => this.logger.warn({ err: error, tenant }, "could not size the tenant's images"));
    }
    return known?.bytes ?? 0;
  }

  /** Asks the engine now (one image list of the tenant's label); concurrent callers share it. */
  refresh(tenant: string): Promise<number> {
    const pending = this.inFlight.get(tenant);
    if (pending) return pending;
    const asking = this.runtime
      .tenantImageBytes(tenant)
      .then((bytes) => {
        this.known.set(tenant, { bytes, at: Date.now() });
        return bytes;
      })
      .finally(() => this.inFlight.delete(tenant));
    this.inFlight.set(tenant, asking);
    return asking;
  }
}
