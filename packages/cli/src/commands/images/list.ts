import type { ImageList } from "@minicloud/shared";
import { BaseCommand } from "../../lib/base-command.ts";
import { table } from "../../lib/output.ts";
import { humanBytes } from "../../lib/pull.ts";

export default class ImagesList extends BaseCommand {
  static override summary = "List your tenant's images: what it built and pulled, their digests, sizes and the releases that run them.";
  static override description =
    "Published images (the host's, open to every tenant) are not listed: `mc images published` shows them. Images no kept release runs go with `mc images prune`.";
  static override examples = ["<%= config.bin %> images list", "<%= config.bin %> images list --json"];

  async run(): Promise<ImageList> {
    await this.parse(ImagesList);
    const list = await (await this.client()).images.list();
    this.say(
      list.images.length === 0
        ? "no images yet — `mc deploy --image REF` pulls one, `mc deploy` builds ./Dockerfile"
        : table(
            ["REFERENCE", "DIGEST", "SIZE", "SOURCE", "RELEASES"],
            list.images.map((i) => [
              i.references.join(", "),
              (i.digest ?? i.id).slice(0, 19),
              humanBytes(i.size),
              i.source,
              i.releases.join(", ") || "-",
            ]),
          ),
    );
    return list;
  }
}
