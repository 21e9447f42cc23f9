import { BaseCommand } from "../../lib/base-command.ts";
import { table } from "../../lib/output.ts";

export default class WebhooksList extends BaseCommand {
  static override summary = "List your tenant's webhooks.";
  static override examples = ["<%= config.bin %> webhooks list", "<%= config.bin %> webhooks list --json"];

  async run() {
    const { webhooks } = await (await this.client()).webhooks.list();
    this.say(
      webhooks.length === 0
        ? "no webhooks — add one with `mc webhooks add URL --events …`"
        : table(
            ["ID", "URL", "EVENTS", "CREATED"],
            webhooks.map((w) => [w.id, w.url, w.events.join(","), w.createdAt]),
          ),
    );
    return { webhooks };
  }
}
