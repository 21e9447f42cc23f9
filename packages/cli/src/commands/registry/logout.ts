import { checkRegistryHost } from "@minicloud/shared/image-rules";
import { Args } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk } from "../../lib/output.ts";
import { UsageError } from "../../lib/usage-error.ts";

export default class RegistryLogout extends BaseCommand {
  static override summary = "Remove your tenant's login to a registry; images pulled with it stay runnable.";
  static override examples = ["<%= config.bin %> registry logout registry.example.com"];
  static override args = { host: Args.string({ description: "registry host[:port]", required: true }) };

  async run(): Promise<{ ok: true }> {
    const { args } = await this.parse(RegistryLogout);
    const problem = checkRegistryHost(args.host);
    if (problem) throw new UsageError(`${args.host}: ${problem}`);
    const result = await (await this.client()).registry.logout(args.host);
    this.say(`${chalk.green("✔")} logged out of ${args.host}`);
    return result;
  }
}
