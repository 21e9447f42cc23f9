import { Args } from "@oclif/core";
import { validAppName } from "../../lib/app-args.ts";
import { BaseCommand } from "../../lib/base-command.ts";
import { table } from "../../lib/output.ts";

export default class DomainsList extends BaseCommand {
  static override summary = "List your tenant's custom domains, or one app's.";
  static override examples = ["<%= config.bin %> domains list", "<%= config.bin %> domains list web --json"];
  static override args = { app: Args.string({ description: "only this app's domains" }) };

  async run() {
    const { args } = await this.parse(DomainsList);
    const app = args.app === undefined ? undefined : validAppName(args.app);
    const { domains } = await (await this.client()).domains.list(app);
    this.say(
      domains.length === 0
        ? `no custom domains${app ? ` for ${app}` : ""} — add one with \`mc domains add APP HOST\``
        : table(
            ["HOST", "APP", "CERTIFICATE", "URL", "HTTPS URL"],
            domains.map((d) => [d.hostname, d.app, d.certificate === "acme" ? "ACME" : "ingress CA", d.url, d.httpsUrl]),
          ),
    );
    return { domains };
  }
}
