import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk, table } from "../../lib/output.ts";
import { validWebhookId } from "../../lib/webhook-id.ts";

export default class WebhooksDeliveries extends BaseCommand {
  static override summary = "Show recent webhook deliveries, newest first: state, attempts and the last outcome.";
  static override examples = ["<%= config.bin %> webhooks deliveries", "<%= config.bin %> webhooks deliveries wh_1a2b3c4d5e6f --json"];
  static override args = { id: Args.string({ description: "only this webhook's deliveries" }) };
  static override flags = { limit: Flags.integer({ description: "how many (at most 1000)", min: 1, max: 1000, default: 50 }) };

  async run() {
    const { args, flags } = await this.parse(WebhooksDeliveries);
    const webhook = args.id === undefined ? undefined : validWebhookId(args.id);
    const { deliveries } = await (await this.client()).webhooks.deliveries({ webhook, limit: flags.limit });
    const paint = (state: string) =>
      state === "delivered" ? chalk.green(state) : state === "failed" ? chalk.red(state) : chalk.yellow(state);
    this.say(
      deliveries.length === 0
        ? "no deliveries yet"
        : table(
            ["ID", "WEBHOOK", "EVENT", "STATE", "ATTEMPTS", "LAST OUTCOME", "CREATED"],
            deliveries.map((d) => {
              const last = d.attempts.at(-1);
              return [
                d.id,
                d.webhook,
                d.event,
                paint(d.state),
                d.attempts.length,
                last ? (last.error ?? String(last.status)) : "-",
                d.createdAt,
              ];
            }),
          ),
    );
    return { deliveries };
  }
}
