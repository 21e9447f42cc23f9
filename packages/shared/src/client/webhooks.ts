import type { Delivery, DeliveryList, WebhookCreate, WebhookCreated, WebhookList } from "../schemas/webhooks.ts";
import type { Ok, Query, Transport } from "./transport.ts";

/** Alert webhooks of the caller's tenant (or of `tenant` for an admin). */
export class WebhooksClient {
  private readonly transport: Transport;
  private readonly scope: () => Query;

  constructor(transport: Transport, scope: () => Query) {
    this.transport = transport;
    this.scope = scope;
  }

  list(): Promise<WebhookList> {
    return this.transport.json<WebhookList>("GET", "/v1/webhooks", { query: this.scope() });
  }

  /** The answer carries the signing secret, shown this once. */
  add(request: WebhookCreate): Promise<WebhookCreated> {
    return this.transport.json<WebhookCreated>("POST", "/v1/webhooks", { body: request, query: this.scope() });
  }

  async remove(id: string): Promise<void> {
    await this.transport.json<Ok>("DELETE", `/v1/webhooks/${encodeURIComponent(id)}`, { query: this.scope() });
  }

  /** Sends a test event and waits for its first attempt. */
  test(id: string): Promise<Delivery> {
    return this.transport.json<Delivery>("POST", `/v1/webhooks/${encodeURIComponent(id)}/test`, { query: this.scope() });
  }

  /** The newest deliveries first, of one webhook or all of the tenant's. */
  deliveries(options: { webhook?: string | undefined; limit?: number | undefined } = {}): Promise<DeliveryList> {
    return this.transport.json<DeliveryList>("GET", "/v1/webhooks/deliveries", {
      query: { ...this.scope(), webhook: options.webhook, limit: options.limit },
    });
  }
}
