import type { PublishedImage } from "@minicloud/shared";
import { Args } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk } from "../../lib/output.ts";
import { imageArg } from "../../lib/pull.ts";

export default class ImagesPublish extends BaseCommand {
  static override summary = "Let every tenant run a host image (admin).";
  static override description =
    "Images on the host's engine that no tenant built or pulled are refused to tenants until published. Publishing covers the image's bytes (its id): a later image under the same name is not published.";
  static override examples = ["<%= config.bin %> images publish minicloud/base:latest"];
  static override args = { image: Args.string({ description: "image reference on the host's engine", required: true }) };

  async run(): Promise<PublishedImage> {
    const { args } = await this.parse(ImagesPublish);
    const published = await (await this.client()).images.publish(imageArg(args.image));
    this.say(`${chalk.green("✔")} ${published.reference} (${published.id.slice(0, 19)}) is published to every tenant`);
    return published;
  }
}
