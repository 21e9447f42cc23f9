import type { Readable } from "node:stream";
import { z } from "zod";
import { type AuditVerify, auditVerifySchema } from "../schemas/audit.ts";
import { type KeyCreate, type KeyInfo, keyListSchema } from "../schemas/keys.ts";
import { type Quota, type QuotaUpdate, quotaSchema } from "../schemas/quota.ts";
import {
  type CreatedKey,
  createdKeySchema,
  type Tenant,
  type TenantCreate,
  type TenantCreated,
  tenantCreatedSchema,
  tenantListSchema,
  tenantSchema,
} from "../schemas/tenants.ts";
import type { Query, Transport } from "./transport.ts";

const okSchema = z.object({ ok: z.literal(true) });
const path = (...parts: string[]) => parts.map(encodeURIComponent).join("/");

/** Tenants: admin only. */
export class TenantsClient {
  private readonly transport: Transport;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  create(request: TenantCreate): Promise<TenantCreated> {
    return this.transport.json("POST", "/v1/tenants", tenantCreatedSchema, { body: request });
  }

  async list(): Promise<Tenant[]> {
    return (await this.transport.json("GET", "/v1/tenants", tenantListSchema)).tenants;
  }

  get(name: string): Promise<Tenant> {
    return this.transport.json("GET", `/v1/tenants/${path(name)}`, tenantSchema);
  }

  setQuota(name: string, update: QuotaUpdate): Promise<Tenant> {
    return this.transport.json("PUT", `/v1/tenants/${path(name)}/quota`, tenantSchema, { body: update });
  }

  async delete(name: string): Promise<void> {
    await this.transport.json("DELETE", `/v1/tenants/${path(name)}`, okSchema);
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
    return this.transport.json("POST", "/v1/keys", createdKeySchema, { body: request, query: this.scope() });
  }

  async listKeys(): Promise<KeyInfo[]> {
    return (await this.transport.json("GET", "/v1/keys", keyListSchema, { query: this.scope() })).keys;
  }

  async revokeKey(id: string): Promise<void> {
    await this.transport.json("DELETE", `/v1/keys/${path(id)}`, okSchema, { query: this.scope() });
  }

  quota(): Promise<Quota> {
    return this.transport.json("GET", "/v1/quota", quotaSchema, { query: this.scope() });
  }

  /** Audit entries as NDJSON; `allTenants` (admins) reads every tenant's entries. */
  audit(options: { follow?: boolean; tail?: number | undefined; allTenants?: boolean } = {}): Promise<Readable> {
    const query: Query = { ...(options.allTenants ? {} : this.scope()), follow: options.follow ?? false, tail: options.tail };
    return this.transport.stream("GET", "/v1/audit", { query });
  }

  verifyAudit(): Promise<AuditVerify> {
    return this.transport.json("GET", "/v1/audit/verify", auditVerifySchema);
  }
}
