import { randomBytes } from "node:crypto";
import {
  ApiError,
  type Delivery,
  MAX_WEBHOOKS_PER_TENANT,
  type PlatformEvent,
  WEBHOOK_TEST_EVENT,
  type Webhook,
  type WebhookCreate,
  type WebhookCreated,
} from "@minicloud/shared";
import type { Logger } from "pino";
import type { EventBus } from "../events/bus.ts";
import type { SealedStore } from "../secrets/sealed-store.ts";
import type { DeliveryRecord, WebhookRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import { attempt, checkTarget, signature } from "./deliver.ts";
import type { TargetRules } from "./target-rules.ts";
import { WebhookRecords } from "./webhook-records.ts";

/** Attempts per delivery; the waits between them double from RETRY_BASE_MS. */
export const MAX_ATTEMPTS = 5;
const RETRY_BASE_MS = 1000;
/** Deliveries waiting (queued or for a retry) across tenants; past it, new ones fail at once, visibly. */
const MAX_PENDING = 1000;
/** Attempts in flight at once: a hanging receiver holds one slot for at most the timeout. */
const CONCURRENCY = 4;

export interface WebhookServiceDeps {
  store: Store;
  sealed: Pick<SealedStore, "ensureTenant" | "seal" | "open">;
  events: EventBus;
  rules: TargetRules;
  /** One attempt's time limit (connect, headers and body). */
  timeoutMs: number;
  logger: Logger;
}

/**
 * Tenants' alert webhooks: platform events of the types a webhook names are POSTed to its URL,
 * signed with its secret (sealed at rest), retried with backoff, each attempt time-bound. Deliveries
 * wait in a bounded queue worked by a few slots: nothing here ever holds up the event that caused it.
 */
export class WebhookService {
  private readonly deps: WebhookServiceDeps;
  private readonly records: WebhookRecords;
  private readonly ready: string[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiting = new Map<string, (delivery: Delivery) => void>();
  private inFlight = 0;
  private stopped = false;
  private readonly listener = (event: PlatformEvent) => this.onEvent(event);

  constructor(deps: WebhookServiceDeps) {
    this.deps = deps;
    this.records = new WebhookRecords(deps.store);
    // Deliveries a stopped daemon left pending are picked up again.
    for (const delivery of this.records.deliveries) if (delivery.state === "pending") this.ready.push(delivery.id);
  }

  start(): void {
    this.deps.events.on("event", this.listener);
    this.pump();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.events.off("event", this.listener);
    for (const timer of this.timers) clearTimeout(timer);
    await this.records.save();
  }

  list(tenant: string): Webhook[] {
    return this.records.webhooks.filter((w) => w.tenant === tenant).map(view);
  }

  async add(tenant: string, request: WebhookCreate): Promise<WebhookCreated> {
    if (this.records.webhooks.filter((w) => w.tenant === tenant).length >= MAX_WEBHOOKS_PER_TENANT) {
      throw new ApiError("conflict", `tenant ${tenant} has ${MAX_WEBHOOKS_PER_TENANT} webhooks, the most it may have: remove one first`);
    }
    const refused = await checkTarget(request.url, this.deps.rules);
    if (refused) throw new ApiError("invalid_input", `webhook URL refused: ${refused}`);
    const id = `wh_${randomBytes(6).toString("hex")}`;
    const secret = `whsec_${randomBytes(24).toString("base64url")}`;
    await this.deps.sealed.ensureTenant(tenant);
    const record: WebhookRecord = {
      id,
      tenant,
      url: request.url,
      events: [...new Set(request.events)],
      sealedSecret: this.deps.sealed.seal(tenant, ["webhook", id], secret),
      createdAt: new Date().toISOString(),
    };
    await this.records.add(record);
    return { ...view(record), secret };
  }

  async remove(tenant: string, id: string): Promise<void> {
    this.require(tenant, id);
    await this.records.remove((w) => w.id === id);
  }

  /** Forgets a tenant's webhooks and deliveries (the tenant is being deleted). */
  async removeTenant(tenant: string): Promise<void> {
    await this.records.remove(
      (w) => w.tenant === tenant,
      (d) => d.tenant === tenant,
    );
  }

  /** Sends a test event and waits for its first attempt's outcome. */
  async test(tenant: string, id: string): Promise<Delivery> {
    const hook = this.require(tenant, id);
    const now = new Date().toISOString();
    const event = {
      id: 0,
      time: now,
      tenant,
      app: null,
      instance: null,
      release: null,
      type: WEBHOOK_TEST_EVENT,
      message: `test delivery from minicloud to ${hook.url}`,
      data: {},
    };
    const delivery = await this.enqueue(hook, event);
    if (delivery.state !== "pending") return delivery;
    return await new Promise((resolve) => this.waiting.set(delivery.id, resolve));
  }

  /** Newest first. */
  deliveries(tenant: string, options: { webhook?: string | undefined; limit: number }): Delivery[] {
    if (options.webhook) this.require(tenant, options.webhook);
    return this.records.deliveries
      .filter((d) => d.tenant === tenant && (!options.webhook || d.webhook === options.webhook))
      .slice(-options.limit)
      .reverse()
      .map(({ tenant: _tenant, body: _body, ...delivery }) => delivery);
  }

  private require(tenant: string, id: string): WebhookRecord {
    const hook = this.records.webhooks.find((w) => w.id === id && w.tenant === tenant);
    if (!hook) throw new ApiError("not_found", `webhook ${id} not found in tenant ${tenant} — see \`mc webhooks list\``);
    return hook;
  }

  private onEvent(event: PlatformEvent): void {
    for (const hook of this.records.webhooks) {
      if (hook.tenant !== event.tenant || !hook.events.includes(event.type)) continue;
      this.enqueue(hook, event).catch((error) =>
        this.deps.logger.warn({ err: error, webhook: hook.id }, "could not queue a webhook delivery"),
      );
    }
  }

  private async enqueue(hook: WebhookRecord, event: { id: number; type: string; [key: string]: unknown }): Promise<Delivery> {
    const pending = this.records.deliveries.filter((d) => d.state === "pending").length;
    const delivery = await this.records.addDelivery({
      id: `dl_${randomBytes(6).toString("hex")}`,
      tenant: hook.tenant,
      webhook: hook.id,
      event: event.type,
      eventId: event.id,
      state: "pending",
      attempts: [],
      createdAt: new Date().toISOString(),
      nextAttemptAt: new Date().toISOString(),
      body: JSON.stringify(event),
    });
    if (pending >= MAX_PENDING) {
      delivery.state = "failed";
      delivery.nextAttemptAt = null;
      delivery.attempts.push({
        at: delivery.createdAt,
        status: null,
        error: `not sent: ${MAX_PENDING} deliveries were already waiting`,
        ms: 0,
      });
      this.deps.logger.warn({ webhook: hook.id }, "webhook queue full: a delivery was dropped");
    } else {
      this.ready.push(delivery.id);
      this.pump();
    }
    await this.records.save();
    return strip(delivery);
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < CONCURRENCY && this.ready.length > 0) {
      const id = this.ready.shift() as string;
      this.inFlight++;
      void this.send(id)
        .catch((error) => this.deps.logger.warn({ err: error, delivery: id }, "webhook delivery failed"))
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private async send(id: string): Promise<void> {
    const delivery = this.records.deliveries.find((d) => d.id === id);
    if (delivery?.state !== "pending") return;
    const hook = this.records.webhooks.find((w) => w.id === delivery.webhook);
    if (!hook) {
      delivery.state = "failed";
      delivery.nextAttemptAt = null;
      delivery.attempts.push({ at: new Date().toISOString(), status: null, error: "the webhook was removed", ms: 0 });
      return this.settled(delivery);
    }
    const secret = this.deps.sealed.open(hook.tenant, ["webhook", hook.id], hook.sealedSecret, `the secret of webhook ${hook.id}`);
    const at = new Date().toISOString();
    const outcome = await attempt(
      hook.url,
      delivery.body,
      {
        "x-minicloud-event": delivery.event,
        "x-minicloud-delivery": delivery.id,
        "x-minicloud-signature": signature(secret, delivery.body),
      },
      this.deps.rules,
      this.deps.timeoutMs,
    );
    delivery.attempts.push({ at, ...outcome });
    if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300) {
      delivery.state = "delivered";
      delivery.nextAttemptAt = null;
    } else if (delivery.attempts.length >= MAX_ATTEMPTS || outcome.error?.startsWith("refused:")) {
      delivery.state = "failed";
      delivery.nextAttemptAt = null;
    } else {
      const wait = RETRY_BASE_MS * 2 ** (delivery.attempts.length - 1);
      delivery.nextAttemptAt = new Date(Date.now() + wait).toISOString();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.ready.push(delivery.id);
        this.pump();
      }, wait);
      timer.unref();
      this.timers.add(timer);
    }
    this.settled(delivery);
  }

  private settled(delivery: DeliveryRecord): void {
    this.records.save().catch((error) => this.deps.logger.warn({ err: error, delivery: delivery.id }, "could not save a webhook delivery"));
    const waiter = this.waiting.get(delivery.id);
    if (waiter) {
      this.waiting.delete(delivery.id);
      waiter(strip(delivery));
    }
  }
}

function view(record: WebhookRecord): Webhook {
  return { id: record.id, tenant: record.tenant, url: record.url, events: record.events, createdAt: record.createdAt };
}

/** A copy without the tenant and body, detached from the state (it is answered while attempts go on). */
function strip(delivery: Delivery & { tenant?: string; body?: string }): Delivery {
  const { tenant: _tenant, body: _body, ...rest } = delivery;
  return JSON.parse(JSON.stringify(rest)) as Delivery;
}
