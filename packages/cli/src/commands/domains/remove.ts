import { BaseCommand } from "../../lib/base-command.ts";
import { hostnameArg, validHostname } from "../../lib/hostname-arg.ts";

export default class DomainsRemove extends BaseCommand {
  static override summary = "Stop routing a custom domain; the host name answers with the 404 page again.";
  static override examples = ["<%= config.bin %> domains remove shop.example.com"];
  static override args = { host: hostnameArg };

  async run() {
    const { args } = await this.parse(DomainsRemove);
    const hostname = validHostname(args.host);
    await (await this.client()).domains.remove(hostname);
    this.say(`${hostname} removed`);
    return { removed: true, hostname };
  }
}
