import { keyCreateSchema } from "@minicloud/shared";
import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk } from "../../lib/output.ts";

export default class KeysCreate extends BaseCommand {
  static override summary = "Create an API key for your tenant (shown once).";
  static override description = "Keep several keys to rotate: create the new one, switch, then revoke the old one.";
  static override examples = [
    "<%= config.bin %> keys create --name ci",
    "<%= config.bin %> keys create --name deploy-bot --expires-in-days 30 --json",
  ];
  static override flags = {
    name: Flags.string({ description: "a label to recognise the key by", default: "key" }),
    "expires-in-days": Flags.integer({ description: "the key stops working after this many days" }),
    admin: Flags.boolean({ description: "create an admin key (admins only)" }),
  };

  async run() {
    const { flags } = await this.parse(KeysCreate);
    const request = keyCreateSchema.parse({
      name: flags.name,
      role: flags.admin ? "admin" : "tenant",
      expiresInDays: flags["expires-in-days"],
    });
    const created = await (await this.client()).account.createKey(request);
    this.say(`${chalk.green("✔")} key ${created.id} (${created.role}, tenant ${created.tenant}) — shown once, store it now:`);
    this.say(`  ${chalk.bold(created.key)}`);
    return created;
  }
}
