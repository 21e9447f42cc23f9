import { BaseCommand } from "../../../lib/base-command.ts";
import { renderSnapshots } from "../../../lib/render-volume.ts";
import { validVolumeName, volumeArg } from "../../../lib/volume-args.ts";

export default class VolumesSnapshots extends BaseCommand {
  static override summary = "List a volume's snapshots: id, time, size, kind, how long writes were held, note.";
  static override examples = ["<%= config.bin %> volumes snapshots data", "<%= config.bin %> volumes snapshots data --json"];
  static override args = { name: volumeArg };

  async run() {
    const { args } = await this.parse(VolumesSnapshots);
    const snapshots = await (await this.client()).volumes.snapshots(validVolumeName(args.name));
    this.say(renderSnapshots(snapshots));
    return { snapshots };
  }
}
