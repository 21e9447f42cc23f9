import type { PublishedList } from "@minicloud/shared";
import { BaseCommand } from "../../lib/base-command.ts";
import { table } from "../../lib/output.ts";

export default class ImagesPublished extends BaseCommand {
  static override summary = "List the host images the admin published to every tenant.";
  static override description = "Host images setup imported with the `minicloud.published` label are open to every tenant as well.";
  static override examples = ["<%= config.bin %> images published"];

  async run(): Promise<PublishedList> {
    await this.parse(ImagesPublished);
    const list = await (await this.client()).images.published();
    this.say(
      list.images.length === 0
        ? "no published images (besides those labelled by setup)"
        : table(
            ["REFERENCE", "ID", "PUBLISHED"],
            list.images.map((i) => [i.reference, i.id.slice(0, 19), i.publishedAt.replace("T", " ").slice(0, 19)]),
          ),
    );
    return list;
  }
}
