import { VERSION } from "@minicloud/shared/version";
import { BaseCommand } from "../lib/base-command.ts";

export default class Version extends BaseCommand {
  static override summary = "Print the version of mc.";
  static override examples = ["<%= config.bin %> version", "<%= config.bin %> version --json"];

  async run() {
    await this.parse(Version);
    const result = { cli: VERSION, node: process.versions.node, platform: `${process.platform}-${process.arch}` };
    this.say(`mc ${result.cli} (node ${result.node}, ${result.platform})`);
    return result;
  }
}
