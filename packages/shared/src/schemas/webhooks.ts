import { z } from "zod";
import { EVENT_TYPES } from "./events.ts";

/** Webhooks one tenant may have. */
export const MAX_WEBHOOKS_PER_TENANT = 20;
/** The header that carries `sha256=<hex HMAC-SHA256 of the body, keyed by the webhook's secret>`. */
export const WEBHOOK_SIGNATURE_HEADER = "x-minicloud-signature";
/** The event type of `mc webhooks test`: a delivery that stands for no platform event. */
export const WEBHOOK_TEST_EVENT = "webhook.test";

export const webhookIdSchema = z
  .string()
  .regex(/^wh_[a-z0-9]{12}$/, { message: "must be a webhook id such as wh_1a2b3c4d5e6f (see `mc webhooks list`)" });

export const webhookCreateSchema = z
  .object({
    url: z
      .string()
      .max(2048)
      .url({ message: "must be an http:// or https:// URL" })
      .refine((url) => /^https?:\/\//i.test(url), { message: "must be an http:// or https:// URL" }),
    events: z
      .array(z.enum(EVENT_TYPES, { message: `must be event types: ${EVENT_TYPES.join(", ")}` }))
      .min(1, { message: "name at least one event type" })
      .max(EVENT_TYPES.length),
  })
  .strict();
export type WebhookCreate = z.infer<typeof webhookCreateSchema>;

export const webhookSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  createdAt: z.string(),
});
export type Webhook = z.infer<typeof webhookSchema>;

/** What `POST /v1/webhooks` returns: the signing secret, shown this once. */
export const webhookCreatedSchema = webhookSchema.extend({ secret: z.string() });
export type WebhookCreated = z.infer<typeof webhookCreatedSchema>;

export const webhookListSchema = z.object({ webhooks: z.array(webhookSchema) });
export type WebhookList = z.infer<typeof webhookListSchema>;

export const deliveryAttemptSchema = z.object({
  at: z.string(),
  /** The receiver's HTTP status; null when there was no answer (a timeout, a refused connection). */
  status: z.number().nullable(),
  error: z.string().nullable(),
  ms: z.number(),
});

export const deliverySchema = z.object({
  id: z.string(),
  webhook: z.string(),
  event: z.string(),
  /** The platform event's id (0 for a test delivery). */
  eventId: z.number(),
  /** pending: queued or waiting for a retry; delivered: a 2xx; failed: every attempt failed, or the queue was full. */
  state: z.enum(["pending", "delivered", "failed"]),
  attempts: z.array(deliveryAttemptSchema),
  createdAt: z.string(),
  nextAttemptAt: z.string().nullable(),
});
export type Delivery = z.infer<typeof deliverySchema>;

export const deliveryListSchema = z.object({ deliveries: z.array(deliverySchema) });
export type DeliveryList = z.infer<typeof deliveryListSchema>;

export const deliveriesQuerySchema = z
  .object({
    webhook: webhookIdSchema.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(50),
  })
  .strict();
