import { readdirSync, readFileSync } from "node:fs";
import { ApiError } from "@minicloud/shared";
import type { Principal } from "./env.ts";

/** Past this share of the process's file descriptor limit, new streams are refused: the rest keeps requests and deploys alive. */
export const FD_BUDGET_SHARE = 0.8;

export interface StreamLimitsOptions {
  perKey: number;
  perTenant: number;
  /** Open descriptors and the soft limit (tests and other platforms may pass their own). */
  fds?: () => { open: number; limit: number } | undefined;
}

/**
 * Counts the long-lived streams (log and event follows, builds, exec and event WebSockets) each key
 * and each tenant holds open, and refuses one more past the limits — or when the process is close to
 * its file descriptor limit, whoever asks. The admin socket is not counted per key (it has no key).
 */
export class StreamLimits {
  private readonly options: StreamLimitsOptions;
  private readonly byKey = new Map<string, number>();
  private readonly byTenant = new Map<string, number>();
  private readonly fds: () => { open: number; limit: number } | undefined;

  constructor(options: StreamLimitsOptions) {
    this.options = options;
    this.fds = options.fds ?? procFds;
  }

  /** Takes a slot for one stream, or throws 429 naming the limit. Call the returned function once when the stream ends. */
  acquire(principal: Principal): () => void {
    const fds = this.fds();
    if (fds && fds.open >= fds.limit * FD_BUDGET_SHARE) {
      throw new ApiError(
        "rate_limited",
        `mcd holds ${fds.open} of its ${fds.limit} file descriptors: no new streams until some close (requests that do not stream are still served)`,
      );
    }
    const key = principal.role === "tenant" ? principal.keyId : null;
    const tenant = principal.role === "tenant" ? principal.tenant : null;
    if (key !== null && (this.byKey.get(key) ?? 0) >= this.options.perKey) {
      throw new ApiError(
        "rate_limited",
        `this key has ${this.options.perKey} streams open (log and event follows, builds, exec sessions), its limit (MC_STREAMS_PER_KEY): close one first`,
      );
    }
    if (tenant !== null && (this.byTenant.get(tenant) ?? 0) >= this.options.perTenant) {
      throw new ApiError(
        "rate_limited",
        `tenant ${tenant} has ${this.options.perTenant} streams open across its keys (log and event follows, builds, exec sessions), its limit (MC_STREAMS_PER_TENANT): close one first`,
      );
    }
    if (key !== null) bump(this.byKey, key, 1);
    if (tenant !== null) bump(this.byTenant, tenant, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (key !== null) bump(this.byKey, key, -1);
      if (tenant !== null) bump(this.byTenant, tenant, -1);
    };
  }
}

function bump(counts: Map<string, number>, name: string, by: number): void {
  const next = (counts.get(name) ?? 0) + by;
  if (next > 0) counts.set(name, next);
  else counts.delete(name);
}

/**
 * Open descriptors from /proc/self/fd against the soft RLIMIT_NOFILE (read each time: an operator
 * may change it with prlimit); undefined where /proc is not there.
 */
function procFds(): { open: number; limit: number } | undefined {
  try {
    const softLimit = Number(/^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1] ?? Number.NaN);
    if (!Number.isFinite(softLimit)) return undefined;
    return { open: readdirSync("/proc/self/fd").length, limit: softLimit };
  } catch {
    return undefined;
  }
}
