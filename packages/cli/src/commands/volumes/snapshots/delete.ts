import { Args } from "@oclif/core";
import { BaseCommand } from "../../../lib/base-command.ts";
import { validVolumeName, volumeArg } from "../../../lib/volume-args.ts";

export default class VolumesSnapshotsDelete extends BaseCommand {
  static override summary = "Delete one snapshot of a volume.";
  static override examples = ["<%= config.bin %> volumes snapshots delete data 20261124T030000-1a2b"];
  static override args = { name: volumeArg, snapshot: Args.string({ description: "snapshot id", required: true }) };

  async run() {
    const { args } = await this.parse(VolumesSnapshotsDelete);
    await (await this.client()).volumes.deleteSnapshot(validVolumeName(args.name), args.snapshot);
    this.say(`snapshot ${args.snapshot} deleted`);
    return { deleted: true, snapshot: args.snapshot };
  }
}
