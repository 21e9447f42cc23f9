import { webhookIdSchema } from "@minicloud/shared";
import { UsageError } from "./usage-error.ts";

/** A webhook id as `mc webhooks list` shows it; anything else is refused before any request. */
export function validWebhookId(id: string): string {
  if (!webhookIdSchema.safeParse(id).success)
    throw new UsageError(`"${id}" is not a webhook id such as wh_1a2b3c4d5e6f — see \`mc webhooks list\``);
  return id;
}
