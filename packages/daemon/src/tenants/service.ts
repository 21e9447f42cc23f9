import { ApiError, DEFAULT_QUOTA, type QuotaLimits, type Tenant, type TenantCreated } from "@minicloud/shared";
import type { AppService } from "../apps/service.ts";
import type { KeyedMutex } from "../common/keyed-mutex.ts";
import type { KeyService } from "../keys/service.ts";
import { type MeasuredStorage, usageOf } from "../quota/usage.ts";
import type { Runtime } from "../runtime/runtime.ts";
import type { State, TenantRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import type { VolumeService } from "../volumes/service.ts";

export const DEFAULT_TENANT = "default";

/** Throws not_found for a tenant that does not exist (also the answer for names a caller may not see). */
export function requireTenant(state: Readonly<State>, name: string): TenantRecord {
  const record = state.tenants.find((t) => t.name === name);
  if (!record) throw new ApiError("not_found", `tenant ${name} not found — see \`mc tenants list\``);
  return record;
}

export interface TenantServiceDeps {
  store: Store;
  runtime: Runtime;
  apps: AppService;
  keys: KeyService;
  tenantLocks: KeyedMutex;
  volumes: VolumeService;
  /** The tenant's sealed secrets and data key go with it. */
  secrets?: { dropTenant(state: State, tenant: string): void };
  /** The tenant's pulls and registry logins go with it (images/). */
  imageRecords?: { dropTenant(state: State, tenant: string): void };
  /** What writable root filesystems hold, last sampled: part of storage usage. */
  measured?: MeasuredStorage;
  /** The tenant's images on the engine, part of its storage. */
  images?: MeasuredStorage;
  /** The tenant's namespace in the built-in registry goes with it (a tenant made later under the name starts empty). */
  registry?: { removeTenant(tenant: string): Promise<void> };
  /** The tenant's stored logs (capped by their own setting, not by the storage limit); they go with it. */
  logs?: MeasuredStorage & { removeTenant(tenant: string): Promise<void> };
  /** The tenant's webhooks go with it (a tenant created later under the name must not inherit them). */
  webhooks?: { removeTenant(tenant: string): Promise<void> };
}

/** Tenants and their quotas (admin only); deleting one removes everything it owns. */
export class TenantService {
  private readonly deps: TenantServiceDeps;

  constructor(deps: TenantServiceDeps) {
    this.deps = deps;
  }

  require(name: string): TenantRecord {
    return requireTenant(this.deps.store.state, name);
  }

  async ensureDefault(): Promise<void> {
    if (this.deps.store.state.tenants.some((t) => t.name === DEFAULT_TENANT)) return;
    await this.deps.store.update((state) => {
      state.tenants.push({ name: DEFAULT_TENANT, createdAt: new Date().toISOString(), quota: { ...DEFAULT_QUOTA } });
    });
  }

  async create(name: string, quota: Partial<QuotaLimits> = {}): Promise<TenantCreated> {
    const created = await this.deps.tenantLocks.run(name, async () => {
      if (this.deps.store.state.tenants.some((t) => t.name === name)) throw new ApiError("conflict", `tenant ${name} already exists`);
      const record: TenantRecord = { name, createdAt: new Date().toISOString(), quota: { ...DEFAULT_QUOTA, ...quota } };
      await this.deps.store.update((state) => {
        state.tenants.push(record);
      });
      return record;
    });
    const apiKey = await this.deps.keys.create(name, { name: "first key", role: "tenant" });
    return { tenant: this.view(created), apiKey };
  }

  list(): Tenant[] {
    return this.deps.store.state.tenants.map((t) => this.view(t));
  }

  get(name: string): Tenant {
    return this.view(this.require(name));
  }

  async setQuota(name: string, update: Partial<QuotaLimits>): Promise<Tenant> {
    return this.deps.tenantLocks.run(name, async () => {
      const record = this.require(name);
      await this.deps.store.update(() => {
        record.quota = { ...record.quota, ...update };
      });
      return this.view(record);
    });
  }

  async delete(name: string): Promise<void> {
    if (name === DEFAULT_TENANT) throw new ApiError("conflict", "the default tenant cannot be deleted (it holds the admin keys)");
    this.require(name);
    await this.deps.apps.destroyAllOf(name);
    await this.deps.volumes.deleteAllOf(name);
    // A tenant created later under the same name must not read these.
    await this.deps.logs?.removeTenant(name);
    await this.deps.webhooks?.removeTenant(name);
    await this.deps.registry?.removeTenant(name);
    await this.deps.tenantLocks.run(name, async () => {
      await this.deps.runtime.removeTenantImages(name);
      await this.deps.apps.removeTenantNetwork(name);
      await this.deps.keys.removeAllOf(name);
      await this.deps.store.update((state) => {
        state.tenants = state.tenants.filter((t) => t.name !== name);
        this.deps.secrets?.dropTenant(state, name);
        this.deps.imageRecords?.dropTenant(state, name);
      });
    });
  }

  private view(record: TenantRecord): Tenant {
    const { state } = this.deps.store;
    return {
      name: record.name,
      createdAt: record.createdAt,
      limits: record.quota,
      usage: {
        ...usageOf(state, record.name, undefined, this.deps.measured, this.deps.images),
        ...(this.deps.logs ? { logs: this.deps.logs.bytesOf(record.name) } : {}),
      },
      apps: state.apps.filter((a) => a.tenant === record.name).length,
      keys: state.keys.filter((k) => k.tenant === record.name && !k.revokedAt).length,
    };
  }
}
