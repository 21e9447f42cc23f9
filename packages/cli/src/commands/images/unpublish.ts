import { Args } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk } from "../../lib/output.ts";
import { imageArg } from "../../lib/pull.ts";

export default class ImagesUnpublish extends BaseCommand {
  static override summary = "Stop publishing a host image to every tenant (admin); running apps keep running.";
  static override examples = ["<%= config.bin %> images unpublish minicloud/base:latest"];
  static override args = { image: Args.string({ description: "a published image reference", required: true }) };

  async run(): Promise<{ ok: true }> {
    const { args } = await this.parse(ImagesUnpublish);
    const result = await (await this.client()).images.unpublish(imageArg(args.image));
    this.say(`${chalk.green("✔")} ${args.image} is no longer published`);
    return result;
  }
}
