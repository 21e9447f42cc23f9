import { ApiError } from "@minicloud/shared";
import type { State, TenantKeyRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import { associatedData, deriveKey, digest, newKey, OpenError, open, seal } from "./crypto.ts";
import type { MasterKeyRing } from "./master-key.ts";

/** A sealed value could not be opened: the daemon refuses what needed it, with this message. */
export class SealedStoreError extends ApiError {
  constructor(message: string) {
    super("conflict", message);
    this.name = "SealedStoreError";
  }
}

interface TenantKeys {
  sealing: Buffer;
  digest: Buffer;
}

const tenantKeyPlace = (tenant: string) => associatedData(["minicloud", "tenant-key", "v1", tenant]);

/**
 * Envelope encryption for everything a tenant entrusts to the platform (secrets; registry
 * credentials use it too): one data key per tenant, wrapped by the master key; values sealed with
 * the tenant and their place bound as associated data. Opened keys are kept in memory only.
 */
export class SealedStore {
  private readonly store: Store;
  private readonly ring: MasterKeyRing;
  private readonly opened = new Map<string, TenantKeys>();

  constructor(store: Store, ring: MasterKeyRing) {
    this.store = store;
    this.ring = ring;
  }

  /** Creates the tenant's data key on first use. */
  async ensureTenant(tenant: string): Promise<void> {
    if (this.record(tenant)) return;
    await this.store.update((state) => {
      if (state.tenantKeys.some((k) => k.tenant === tenant)) return;
      const key = newKey();
      state.tenantKeys.push({
        tenant,
        wrapped: seal(this.ring.current, key, tenantKeyPlace(tenant)),
        master: this.ring.currentId,
        createdAt: new Date().toISOString(),
      });
      this.opened.set(tenant, derive(key));
    });
  }

  /** Seals a value for `place` (e.g. ["secret", app, name, version]) of a tenant whose key exists. */
  seal(tenant: string, place: readonly string[], value: string): string {
    return seal(this.keys(tenant).sealing, Buffer.from(value, "utf8"), associatedData([tenant, ...place]));
  }

  /** Opens a value sealed for exactly this tenant and place; `what` names it in the error. */
  open(tenant: string, place: readonly string[], sealed: string, what: string): string {
    try {
      return open(this.keys(tenant).sealing, sealed, associatedData([tenant, ...place])).toString("utf8");
    } catch (error) {
      if (!(error instanceof OpenError)) throw error;
      throw new SealedStoreError(
        `${what} does not open: its ciphertext in state.json was changed or copied from another place — set it again`,
      );
    }
  }

  /** A keyed digest of a value: comparable within the tenant, not guessable without its key. */
  digest(tenant: string, value: string): string {
    return digest(this.keys(tenant).digest, value);
  }

  /** Tenants whose data key the master key does not open (logged at start; their instances are refused). */
  unopenable(): string[] {
    return this.store.state.tenantKeys.flatMap((k) => {
      try {
        this.keys(k.tenant);
        return [];
      } catch {
        return [k.tenant];
      }
    });
  }

  /** Inside a store update: the tenant's key goes, and with it every value sealed under it. */
  dropTenant(state: State, tenant: string): void {
    state.tenantKeys = state.tenantKeys.filter((k) => k.tenant !== tenant);
    this.opened.delete(tenant);
  }

  private record(tenant: string): TenantKeyRecord | undefined {
    return this.store.state.tenantKeys.find((k) => k.tenant === tenant);
  }

  private keys(tenant: string): TenantKeys {
    const cached = this.opened.get(tenant);
    if (cached) return cached;
    const record = this.record(tenant);
    if (!record) throw new SealedStoreError(`tenant ${tenant} has no data key yet: nothing was sealed for it`);
    const master = this.ring.byId(record.master);
    const failure = `tenant ${tenant}'s data key does not open under this daemon's master key ${this.ring.currentId} (it was wrapped by master key ${record.master}${master ? "" : ", which this daemon does not have"}): start mcd with the master key file it was sealed under (MC_MASTER_KEY_FILE)`;
    if (!master) throw new SealedStoreError(failure);
    let key: Buffer;
    try {
      key = open(master, record.wrapped, tenantKeyPlace(tenant));
    } catch {
      throw new SealedStoreError(failure);
    }
    const keys = derive(key);
    this.opened.set(tenant, keys);
    return keys;
  }
}

function derive(key: Buffer): TenantKeys {
  return { sealing: deriveKey(key, "secret sealing"), digest: deriveKey(key, "secret digest") };
}

/** Re-wraps every tenant data key under a new master key (values stay as they are); all or nothing. */
export function rewrapTenantKeys(records: TenantKeyRecord[], ring: MasterKeyRing, next: Buffer, nextId: string): void {
  const wrapped = records.map((record) => {
    const master = ring.byId(record.master);
    try {
      if (!master) throw new OpenError();
      return seal(next, open(master, record.wrapped, tenantKeyPlace(record.tenant)), tenantKeyPlace(record.tenant));
    } catch {
      throw new Error(
        `tenant ${record.tenant}'s data key (wrapped by master key ${record.master}) does not open under master key ${ring.currentId}: nothing was changed`,
      );
    }
  });
  records.forEach((record, i) => {
    record.wrapped = wrapped[i] ?? record.wrapped;
    record.master = nextId;
  });
}
