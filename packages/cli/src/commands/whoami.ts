import { BaseCommand } from "../lib/base-command.ts";
import { resolveEndpoint } from "../lib/credentials.ts";

export default class Whoami extends BaseCommand {
  static override summary = "Show who you are to the daemon: role, tenant and key.";
  static override examples = ["<%= config.bin %> whoami", "<%= config.bin %> whoami --json"];

  async run() {
    await this.parse(Whoami);
    const endpoint = await resolveEndpoint();
    const me = await (await this.client()).whoami();
    this.say(`${me.role} in tenant ${me.tenant}${me.keyId ? ` (key ${me.keyId})` : ""} via ${endpoint.host} [${endpoint.source}]`);
    return { ...me, host: endpoint.host, source: endpoint.source };
  }
}
