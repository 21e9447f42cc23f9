import { appArg, validAppName } from "../../lib/app-args.ts";
import { BaseCommand } from "../../lib/base-command.ts";
import { hostnameArg, validHostname } from "../../lib/hostname-arg.ts";
import { chalk } from "../../lib/output.ts";

export default class DomainsAdd extends BaseCommand {
  static override summary = "Route a custom domain to an app, over HTTP and HTTPS.";
  static override description = [
    "Point the name's DNS (A/AAAA or CNAME) at this host first. The certificate comes from the ingress CA",
    "(`mc ingress ca`), or from a public CA through ACME when the daemon has MC_ACME_EMAIL and the name is",
    "public; ACME needs the host reachable from the internet on ports 80 and 443. Adding a name the app",
    "already has changes nothing. A tenant may have 20 custom domains.",
  ].join("\n");
  static override examples = [
    "<%= config.bin %> domains add web shop.example.com",
    "<%= config.bin %> domains add web www.shop.example.com --json",
  ];
  static override args = { app: appArg, host: hostnameArg };

  async run() {
    const { args } = await this.parse(DomainsAdd);
    const app = validAppName(args.app);
    const hostname = validHostname(args.host);
    const domain = await (await this.client()).domains.add({ app, hostname });
    const issuer = domain.certificate === "acme" ? "a public CA through ACME" : "the ingress CA; trust it with `mc ingress ca`";
    this.say(`${chalk.green("✔")} ${domain.hostname} routes to ${domain.app}`);
    this.say(`  ${domain.url}`);
    this.say(`  ${domain.httpsUrl}  (certificate: ${issuer})`);
    return domain;
  }
}
