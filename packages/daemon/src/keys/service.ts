import { ApiError, type CreatedKey, type KeyInfo } from "@minicloud/shared";
import type { KeyRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import { generateKey } from "./api-keys.ts";

function toInfo(record: KeyRecord): KeyInfo {
  const { hash: _hash, ...info } = record;
  return info;
}

/** API keys: several per tenant for rotation; only hashes are stored; revocation is immediate. */
export class KeyService {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  async create(
    tenant: string,
    options: { name: string; role: "admin" | "tenant"; expiresInDays?: number | undefined },
  ): Promise<CreatedKey> {
    const generated = generateKey();
    const now = new Date();
    const expiresAt = options.expiresInDays ? new Date(now.getTime() + options.expiresInDays * 86400_000).toISOString() : null;
    const record: KeyRecord = {
      id: generated.id,
      hash: generated.hash,
      role: options.role,
      tenant,
      name: options.name,
      createdAt: now.toISOString(),
      expiresAt,
      revokedAt: null,
    };
    await this.store.update((state) => {
      state.keys.push(record);
    });
    return { id: record.id, key: generated.key, tenant, role: record.role, name: record.name, expiresAt };
  }

  list(tenant: string): KeyInfo[] {
    return this.store.state.keys.filter((k) => k.tenant === tenant).map(toInfo);
  }

  /**
   * Revokes a key at once. A tenant's last active key, revoked with itself, would lock the tenant
   * out for good (only an admin could help): that needs `force`.
   */
  async revoke(tenant: string, id: string, options: { callerKeyId?: string | null; force?: boolean } = {}): Promise<void> {
    const record = this.store.state.keys.find((k) => k.id === id && k.tenant === tenant);
    if (!record) throw new ApiError("not_found", `key ${id} not found in tenant ${tenant} — see \`mc keys list\``);
    if (record.revokedAt) return;
    const now = Date.now();
    const othersActive = this.store.state.keys.some(
      (k) => k !== record && k.tenant === tenant && k.role === "tenant" && !k.revokedAt && (!k.expiresAt || Date.parse(k.expiresAt) > now),
    );
    if (record.role === "tenant" && record.id === options.callerKeyId && !othersActive && !options.force) {
      throw new ApiError(
        "conflict",
        `key ${id} is tenant ${tenant}'s last active key and the one you are using: revoking it locks the tenant out — create another first (mc keys create), or pass --force`,
      );
    }
    const activeAdmins = this.store.state.keys.filter((k) => k.role === "admin" && !k.revokedAt);
    if (record.role === "admin" && activeAdmins.length === 1) {
      throw new ApiError("conflict", "this is the last admin key; create another admin key before revoking it");
    }
    await this.store.update(() => {
      record.revokedAt = new Date().toISOString();
    });
  }

  async removeAllOf(tenant: string): Promise<void> {
    await this.store.update((state) => {
      state.keys = state.keys.filter((k) => k.tenant !== tenant);
    });
  }
}
