import { Args } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { UsageError } from "../../lib/usage-error.ts";

export default class VolumesExport extends BaseCommand {
  static override summary = "Write a volume (a consistent copy of it now) or a snapshot to stdout as .tar.zst.";
  static override description =
    "Works against a remote daemon after `mc login`. The archive opens with `tar --zstd -xf` and imports with `mc volumes import`.";
  static override examples = [
    "<%= config.bin %> volumes export data > data.tar.zst",
    "<%= config.bin %> volumes export 20261124T030000-1a2b > snapshot.tar.zst",
  ];
  static override args = { target: Args.string({ description: "volume name or snapshot id", required: true }) };
  static override enableJsonFlag = false;

  async run(): Promise<void> {
    const { args } = await this.parse(VolumesExport);
    if (process.stdout.isTTY)
      throw new UsageError("the archive is binary: redirect it to a file, e.g. mc volumes export data > data.tar.zst");
    const stream = await (await this.client()).volumes.export(args.target);
    const { pipeline } = await import("node:stream/promises");
    await pipeline(stream, process.stdout);
  }
}
