import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk, formatMemory } from "../../lib/output.ts";
import { UsageError } from "../../lib/usage-error.ts";
import { validSize, validVolumeName, volumeArg } from "../../lib/volume-args.ts";

export default class VolumesImport extends BaseCommand {
  static override summary = "Create a volume from a .tar.zst on stdin (an export).";
  static override description =
    "The size is checked against the storage quota before any data is sent, and bounds what the archive may unpack to. A file that is not such an archive, or is cut short, leaves nothing behind.";
  static override examples = ["<%= config.bin %> volumes import data-copy --size 1g < data.tar.zst"];
  static override args = { name: volumeArg };
  static override flags = { size: Flags.string({ char: "s", description: "the new volume's size", required: true }) };

  async run() {
    const { args, flags } = await this.parse(VolumesImport);
    const name = validVolumeName(args.name);
    const size = validSize(flags.size);
    if (process.stdin.isTTY) throw new UsageError("send the archive on stdin, e.g. mc volumes import data --size 1g < data.tar.zst");
    const volume = await (await this.client()).volumes.import(name, size, process.stdin);
    this.say(`${chalk.green("✔")} volume ${volume.name} imported: ${formatMemory(volume.used ?? 0)} used of ${formatMemory(volume.size)}`);
    return volume;
  }
}
