import { Args } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk, formatMemory } from "../../lib/output.ts";
import { validVolumeName } from "../../lib/volume-args.ts";

export default class VolumesFork extends BaseCommand {
  static override summary = "Make a new volume from a snapshot (the size of the snapshot's volume).";
  static override examples = ["<%= config.bin %> volumes fork 20261124T030000-1a2b data-copy"];
  static override args = {
    snapshot: Args.string({ description: "snapshot id", required: true }),
    name: Args.string({ description: "the new volume's name", required: true }),
  };

  async run() {
    const { args } = await this.parse(VolumesFork);
    const volume = await (await this.client()).volumes.fork(args.snapshot, validVolumeName(args.name));
    this.say(`${chalk.green("✔")} volume ${volume.name} created from ${args.snapshot}: ${formatMemory(volume.size)}`);
    return volume;
  }
}
