import { Args } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { validWebhookId } from "../../lib/webhook-id.ts";

export default class WebhooksRemove extends BaseCommand {
  static override summary = "Remove a webhook; deliveries still waiting for a retry are not sent.";
  static override examples = ["<%= config.bin %> webhooks remove wh_1a2b3c4d5e6f"];
  static override args = { id: Args.string({ description: "the webhook's id (see `mc webhooks list`)", required: true }) };

  async run() {
    const { args } = await this.parse(WebhooksRemove);
    const id = validWebhookId(args.id);
    await (await this.client()).webhooks.remove(id);
    this.say(`webhook ${id} removed`);
    return { removed: true, id };
  }
}
