import type { DeliveryRecord, WebhookRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";

/** Deliveries kept (the newest), across tenants: their outcome is what `mc webhooks deliveries` shows. */
const KEPT_DELIVERIES = 2000;

/**
 * The webhooks and their recent deliveries, in the state (keyed by id: a delivery's attempt
 * journals that delivery alone). Deliveries are changed in place as attempts go, then `save()`.
 */
export class WebhookRecords {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  get webhooks(): readonly WebhookRecord[] {
    return this.store.state.webhooks;
  }

  get deliveries(): readonly DeliveryRecord[] {
    return this.store.state.deliveries;
  }

  add(record: WebhookRecord): Promise<void> {
    return this.store.update((state) => void state.webhooks.push(record));
  }

  /** Forgets the webhooks (and deliveries) that match. */
  remove(webhook: (w: WebhookRecord) => boolean, delivery: (d: DeliveryRecord) => boolean = () => false): Promise<void> {
    return this.store.update((state) => {
      state.webhooks = state.webhooks.filter((w) => !webhook(w));
      state.deliveries = state.deliveries.filter((d) => !delivery(d));
    });
  }

  /** Records a delivery and returns it as kept in the state (changes to it are seen and saved). */
  async addDelivery(delivery: DeliveryRecord): Promise<DeliveryRecord> {
    return this.store.update((state) => {
      state.deliveries.push(delivery);
      const kept = state.deliveries.at(-1) ?? delivery;
      // The oldest settled ones go first; pending ones are kept until they settle.
      while (state.deliveries.length > KEPT_DELIVERIES) {
        const index = state.deliveries.findIndex((d) => d.state !== "pending");
        if (index < 0) break;
        state.deliveries.splice(index, 1);
      }
      return kept;
    });
  }

  /** Persists changes made to deliveries in place. */
  save(): Promise<void> {
    return this.store.update(() => undefined);
  }
}
