import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Delivery } from "@minicloud/shared";
import { Serial } from "../common/keyed-mutex.ts";

/** A webhook as kept: its secret sealed with the tenant's data key for ["webhook", id]. */
export interface WebhookRecord {
  id: string;
  tenant: string;
  url: string;
  events: string[];
  sealedSecret: string;
  createdAt: string;
}

/** A delivery as kept: with its tenant and the exact body that is signed and sent. */
export type DeliveryRecord = Delivery & { tenant: string; body: string };

/** Deliveries kept (the newest), across tenants: their outcome is what `mc webhooks deliveries` shows. */
const KEPT_DELIVERIES = 2000;
const SAVE_SOON_MS = 500;

/**
 * `<data dir>/webhooks.json`: the webhooks and their recent deliveries, written whole (atomically, by
 * rename). Kept out of state.json: deliveries change with every attempt, and state.json's writes
 * should cost the same however busy the receivers are.
 */
export class WebhookFile {
  webhooks: WebhookRecord[] = [];
  deliveries: DeliveryRecord[] = [];
  private readonly file: string;
  private readonly writes = new Serial();
  private timer: NodeJS.Timeout | undefined;

  private constructor(file: string) {
    this.file = file;
  }

  static async open(dataDir: string): Promise<WebhookFile> {
    const file = new WebhookFile(path.join(dataDir, "webhooks.json"));
    const text = await readFile(file.file, "utf8").catch(() => undefined);
    if (text) {
      const saved = JSON.parse(text) as { webhooks?: WebhookRecord[]; deliveries?: DeliveryRecord[] };
      file.webhooks = saved.webhooks ?? [];
      file.deliveries = saved.deliveries ?? [];
    }
    return file;
  }

  addDelivery(delivery: DeliveryRecord): DeliveryRecord {
    this.deliveries.push(delivery);
    // The oldest settled ones go first; pending ones are kept until they settle.
    while (this.deliveries.length > KEPT_DELIVERIES) {
      const index = this.deliveries.findIndex((d) => d.state !== "pending");
      if (index < 0) break;
      this.deliveries.splice(index, 1);
    }
    return delivery;
  }

  /** Writes now (webhooks added or removed). */
  save(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const text = JSON.stringify({ webhooks: this.webhooks, deliveries: this.deliveries });
    return this.writes.run(async () => {
      await writeFile(`${this.file}.tmp`, text, { mode: 0o600 });
      await rename(`${this.file}.tmp`, this.file);
    });
  }

  /** Writes shortly (delivery outcomes): one write for many attempts. */
  saveSoon(): void {
    this.timer ??= setTimeout(() => void this.save().catch(() => undefined), SAVE_SOON_MS);
    this.timer.unref();
  }
}
