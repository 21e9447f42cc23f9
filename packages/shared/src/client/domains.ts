import type { Domain, DomainCreate, DomainList } from "../schemas/domains.ts";
import type { Ok, Query, Transport } from "./transport.ts";

/** Custom domains of the caller's tenant (or of `tenant` for an admin). */
export class DomainsClient {
  private readonly transport: Transport;
  private readonly scope: () => Query;

  constructor(transport: Transport, scope: () => Query) {
    this.transport = transport;
    this.scope = scope;
  }

  /** Every domain of the tenant, or only `app`'s. */
  list(app?: string): Promise<DomainList> {
    return this.transport.json<DomainList>("GET", "/v1/domains", { query: { ...this.scope(), app } });
  }

  add(request: DomainCreate): Promise<Domain> {
    return this.transport.json<Domain>("POST", "/v1/domains", { body: request, query: this.scope() });
  }

  async remove(hostname: string): Promise<void> {
    await this.transport.json<Ok>("DELETE", `/v1/domains/${encodeURIComponent(hostname)}`, { query: this.scope() });
  }
}
