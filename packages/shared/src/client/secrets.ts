import type { SecretList, SecretsChangeRequest, SecretsChangeResult } from "../schemas/secrets.ts";
import type { Query, Transport } from "./transport.ts";

/** An app's secrets: write-only (names, digests and dates come back, never values). */
export class SecretsClient {
  private readonly transport: Transport;
  private readonly scope: () => Query;

  constructor(transport: Transport, scope: () => Query) {
    this.transport = transport;
    this.scope = scope;
  }

  list(app: string): Promise<SecretList> {
    return this.transport.json<SecretList>("GET", `/v1/apps/${encodeURIComponent(app)}/secrets`, { query: this.scope() });
  }

  /** Sets and unsets in one new version of the set; a new release takes it unless `stage`. */
  change(app: string, request: SecretsChangeRequest): Promise<SecretsChangeResult> {
    return this.transport.json<SecretsChangeResult>("PATCH", `/v1/apps/${encodeURIComponent(app)}/secrets`, {
      body: request,
      query: this.scope(),
    });
  }
}
