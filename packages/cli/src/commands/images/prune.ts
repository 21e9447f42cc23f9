import type { PruneResult } from "@minicloud/shared";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk } from "../../lib/output.ts";
import { humanBytes } from "../../lib/pull.ts";

export default class ImagesPrune extends BaseCommand {
  static override summary = "Remove your tenant's images that no kept release runs (rollbacks keep working).";
  static override examples = ["<%= config.bin %> images prune", "<%= config.bin %> images prune --json"];

  async run(): Promise<PruneResult> {
    await this.parse(ImagesPrune);
    const result = await (await this.client()).images.prune();
    if (result.removed.length === 0) this.say("nothing to prune: every image runs in a kept release");
    for (const image of result.removed) this.say(`${chalk.green("✔")} removed ${image.references.join(", ")} (${humanBytes(image.size)})`);
    if (result.removed.length > 0) this.say(`  ${humanBytes(result.reclaimedBytes)} freed from your storage quota`);
    return result;
  }
}
