import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk, formatMemory } from "../../lib/output.ts";
import { validSize, validVolumeName, volumeArg } from "../../lib/volume-args.ts";

export default class VolumesExtend extends BaseCommand {
  static override summary = "Grow a volume to a larger size, online (the app keeps running).";
  static override examples = ["<%= config.bin %> volumes extend data --size 2g"];
  static override args = { name: volumeArg };
  static override flags = { size: Flags.string({ char: "s", description: "the new, larger size", required: true }) };

  async run() {
    const { args, flags } = await this.parse(VolumesExtend);
    const volume = await (await this.client()).volumes.extend(validVolumeName(args.name), validSize(flags.size));
    this.say(`${chalk.green("✔")} volume ${volume.name} is now ${formatMemory(volume.size)}`);
    return volume;
  }
}
