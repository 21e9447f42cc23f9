import type { RegistryCredentialList } from "@minicloud/shared";
import { BaseCommand } from "../../lib/base-command.ts";
import { table } from "../../lib/output.ts";

export default class RegistryList extends BaseCommand {
  static override summary = "List your tenant's registry logins: host, user name, when. Never passwords.";
  static override examples = ["<%= config.bin %> registry list"];

  async run(): Promise<RegistryCredentialList> {
    await this.parse(RegistryList);
    const list = await (await this.client()).registry.list();
    this.say(
      list.credentials.length === 0
        ? "no registry logins — `mc registry login HOST --username U --password-stdin` adds one"
        : table(
            ["HOST", "USERNAME", "SINCE"],
            list.credentials.map((c) => [c.host, c.username, c.createdAt.replace("T", " ").slice(0, 19)]),
          ),
    );
    return list;
  }
}
