import { Args } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk } from "../../lib/output.ts";
import { validWebhookId } from "../../lib/webhook-id.ts";

export default class WebhooksTest extends BaseCommand {
  static override summary = "Send a test event (type webhook.test) to a webhook and show how its first attempt went.";
  static override examples = ["<%= config.bin %> webhooks test wh_1a2b3c4d5e6f"];
  static override args = { id: Args.string({ description: "the webhook's id (see `mc webhooks list`)", required: true }) };

  async run() {
    const { args } = await this.parse(WebhooksTest);
    const delivery = await (await this.client()).webhooks.test(validWebhookId(args.id));
    const first = delivery.attempts[0];
    if (delivery.state === "delivered") this.say(`${chalk.green("✔")} delivered: ${first?.status} in ${first?.ms} ms`);
    else
      this.say(
        `${chalk.red("✘")} not delivered: ${first?.error ?? "no attempt"}${delivery.nextAttemptAt ? ` — retrying at ${delivery.nextAttemptAt}` : ""}`,
      );
    return delivery;
  }
}
