import { ApiError, type AppSpec, formatBytes, type QuotaLimits, type QuotaUsage } from "@minicloud/shared";
import { isServing } from "../apps/records.ts";
import type { State } from "../store/schema.ts";

/** Instances, CPUs and memory a spec holds while it runs. */
export function resourcesOf(spec: AppSpec): ResourceRequest {
  return { instances: spec.count, cpus: spec.count * spec.cpus, memory: spec.count * spec.memory, storage: 0 };
}

/**
 * What a tenant holds: apps that should run hold their spec; a deploy or scale in flight holds what
 * it will run (the larger of the two per resource, since old and new run side by side for a moment).
 * `exclude` leaves one app out, to check a change to it.
 */
export function usageOf(
  state: Readonly<State>,
  tenant: string,
  exclude?: string,
  measured?: MeasuredStorage,
  images?: MeasuredStorage,
): QuotaUsage {
  const usage: QuotaUsage = { instances: 0, cpus: 0, memory: 0, storage: 0 };
  for (const app of state.apps) {
    if (app.tenant !== tenant || app.name === exclude) continue;
    const current = isServing(app) ? resourcesOf(app.spec) : undefined;
    const next = app.operation ? resourcesOf(app.operation.spec) : undefined;
    for (const key of ["instances", "cpus", "memory"] as const) {
      usage[key] += Math.max(current?.[key] ?? 0, next?.[key] ?? 0);
    }
  }
  usage.apps = state.apps.filter((a) => a.tenant === tenant).length;
  usage.cpus = Math.round(usage.cpus * 100) / 100;
  const recorded = recordedStorageOf(state, tenant);
  usage.volumes = recorded.volumes;
  usage.snapshots = recorded.snapshots;
  usage.storage = recorded.volumes + recorded.snapshots;
  if (measured) {
    usage.writableLayers = measured.bytesOf(tenant);
    usage.storage += usage.writableLayers;
  }
  if (images) {
    usage.images = images.bytesOf(tenant);
    usage.storage += usage.images;
  }
  return usage;
}

/** Storage a tenant holds: every volume's full size (reserved when it is created) and its snapshots' bytes. */
export function storageOf(state: Readonly<State>, tenant: string, excludeVolume?: string): number {
  const { volumes, snapshots } = recordedStorageOf(state, tenant, excludeVolume);
  return volumes + snapshots;
}

/** The two parts of the storage recorded in state, in one pass over the volumes. */
function recordedStorageOf(state: Readonly<State>, tenant: string, excludeVolume?: string): { volumes: number; snapshots: number } {
  const parts = { volumes: 0, snapshots: 0 };
  for (const volume of state.volumes) {
    if (volume.tenant !== tenant) continue;
    for (const snapshot of volume.snapshots) parts.snapshots += snapshot.bytes;
    if (volume.name !== excludeVolume) parts.volumes += volume.size;
  }
  return parts;
}

/** Storage measured on the engine rather than recorded in state (writable root filesystems, built images). */
export interface MeasuredStorage {
  bytesOf(tenant: string): number;
}

export interface ResourceRequest {
  instances: number;
  cpus: number;
  memory: number;
  storage: number;
}

const DIMENSIONS = [
  { key: "instances", limit: "maxInstances", format: (n: number) => String(n) },
  { key: "cpus", limit: "maxCpus", format: (n: number) => String(Math.round(n * 100) / 100) },
  { key: "memory", limit: "maxMemory", format: formatBytes },
  { key: "storage", limit: "maxStorage", format: formatBytes },
] as const;

export const NOTHING: ResourceRequest = { instances: 0, cpus: 0, memory: 0, storage: 0 };

/** What one app asks for: what it holds now and what it will hold after the change. */
export interface AppResourceChange {
  app: string;
  current: ResourceRequest;
  next: ResourceRequest;
}

/**
 * Throws `quota_exceeded` naming the first limit the change would cross, with what the app holds
 * and would hold, what the tenant's other apps hold, and the limit, so the user knows exactly how
 * much to free or ask for. `others` is the usage without this app (usageOf with `exclude`).
 */
export function assertWithinQuota(tenant: string, limits: QuotaLimits, others: QuotaUsage, change: AppResourceChange): void {
  for (const { key, limit, format } of DIMENSIONS) {
    const next = Math.max(change.current[key], change.next[key]);
    if (change.next[key] > change.current[key] && others[key] + next > limits[limit] + 1e-9) {
      throw new ApiError(
        "quota_exceeded",
        `quota exceeded for ${key} in tenant ${tenant}: ${change.app} would hold ${format(change.next[key])} (it holds ${format(change.current[key])}), the tenant's other apps hold ${format(others[key])}, the limit is ${format(limits[limit])} — free some (mc stop / mc apps destroy) or ask an admin to raise it (mc tenants quota)`,
      );
    }
  }
}
