import type { Readable } from "node:stream";
import type { AuditVerify } from "../schemas/audit.ts";
import type { KeyCreate, KeyInfo } from "../schemas/keys.ts";
import type { Quota, QuotaUpdate } from "../schemas/quota.ts";
import type { CreatedKey, Tenant, TenantCreate, TenantCreated } from "../schemas/tenants.ts";
import type { Ok, Query, Transport } from "./transport.ts";

const path = (...parts: string[]) => parts.map(encodeURIComponent).join("/");

/** Tenants: admin only. */
export class TenantsClient {
  private readonly transport: Transport;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  create(request: TenantCreate): Promise<TenantCreated> {
    return this.transport.json<TenantCreated>("POST", "/v1/tenants", { body: request });
  }

  async list(): Promise<Tenant[]> {
    return (await this.transport.json<{ tenants: Tenant[] }>("GET", "/v1/tenants")).tenants;
  }

  get(name: string): Promise<Tenant> {
    return this.transport.json<Tenant>("GET", `/v1/tenants/${path(name)}`);
  }

  setQuota(name: string, update: QuotaUpdate): Promise<Tenant> {
    return this.transport.json<Tenant>("PUT", `/v1/tenants/${path(name)}/quota`, { body: update });
  }

  async delete(name: string): Promise<void> {
    await this.transport.json<Ok>("DELETE", `/v1/tenants/${path(name)}`);
  }
}

/** API keys of the caller's tenant (or `tenant` for an admin), the quota, and the audit log. */
export class AccountClient {
  private readonly transport: Transport;
  private readonly scope: () => Query;

  constructor(transport: Transport, scope: () => Query) {
    this.transport = transport;
    this.scope = scope;
  }

  createKey(request: KeyCreate = {}): Promise<CreatedKey> {
    return this.transport.json<CreatedKey>("POST", "/v1/keys", { body: request, query: this.scope() });
  }

  async listKeys(): Promise<KeyInfo[]> {
    return (await this.transport.json<{ keys: KeyInfo[] }>("GET", "/v1/keys", { query: this.scope() })).keys;
  }

  async revokeKey(id: string, options: { force?: boolean } = {}): Promise<void> {
    await this.transport.json<Ok>("DELETE", `/v1/keys/${path(id)}`, { query: { ...this.scope(), force: options.force || undefined } });
  }

  quota(): Promise<Quota> {
    return this.transport.json<Quota>("GET", "/v1/quota", { query: this.scope() });
  }

  /** Audit entries as NDJSON; `allTenants` (admins) reads every tenant's entries. */
  audit(options: { follow?: boolean; tail?: number | undefined; allTenants?: boolean } = {}): Promise<Readable> {
    const query: Query = { ...(options.allTenants ? {} : this.scope()), follow: options.follow ?? false, tail: options.tail };
    return this.transport.stream("GET", "/v1/audit", { query });
  }

  verifyAudit(): Promise<AuditVerify> {
    return this.transport.json<AuditVerify>("GET", "/v1/audit/verify");
  }
}
