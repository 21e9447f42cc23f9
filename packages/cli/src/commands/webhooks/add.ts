import { EVENT_TYPES, webhookCreateSchema } from "@minicloud/shared";
import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk } from "../../lib/output.ts";
import { UsageError } from "../../lib/usage-error.ts";

export default class WebhooksAdd extends BaseCommand {
  static override summary = "POST chosen platform events to a URL, signed with a secret shown once.";
  static override description = [
    "Each delivery is the event as JSON, with the header X-Minicloud-Signature: sha256=<hex HMAC-SHA256 of the body,",
    "keyed by the secret>. Failed attempts (no 2xx within the daemon's MC_WEBHOOK_TIMEOUT) are retried with backoff,",
    "5 attempts in all; see them with `mc webhooks deliveries`. URLs that reach the daemon's host are refused:",
    "loopback, private, link-local and Docker gateway addresses (unless the operator sets MC_WEBHOOK_ALLOW_PRIVATE),",
    `and the daemon's own ports always. Event types: ${EVENT_TYPES.join(", ")}.`,
  ].join("\n");
  static override examples = [
    "<%= config.bin %> webhooks add https://alerts.example.com/minicloud --events deploy.failed,instance.crashed,app.crash_looping,quota.rejected",
  ];
  static override args = { url: Args.string({ description: "where deliveries are POSTed (http:// or https://)", required: true }) };
  static override flags = {
    events: Flags.string({ description: "comma-separated event types to deliver", required: true }),
  };

  async run() {
    const { args, flags } = await this.parse(WebhooksAdd);
    const events = flags.events
      .split(",")
      .map((e) => e.trim())
      .filter(Boolean);
    const unknown = events.filter((e) => !(EVENT_TYPES as readonly string[]).includes(e));
    if (unknown.length > 0) throw new UsageError(`--events: unknown event type ${unknown.join(", ")}; known: ${EVENT_TYPES.join(", ")}`);
    const request = webhookCreateSchema.safeParse({ url: args.url, events });
    if (!request.success) {
      const issue = request.error.issues[0];
      throw new UsageError(`${issue?.path[0] === "events" ? "--events" : "URL"}: ${issue?.message}`);
    }
    const created = await (await this.client()).webhooks.add(request.data);
    this.say(`${chalk.green("✔")} webhook ${created.id} → ${created.url} (${created.events.join(", ")})`);
    this.say(`  signing secret (shown once, keep it): ${created.secret}`);
    return created;
  }
}
