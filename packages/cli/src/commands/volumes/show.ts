import { BaseCommand } from "../../lib/base-command.ts";
import { renderVolume } from "../../lib/render-volume.ts";
import { validVolumeName, volumeArg } from "../../lib/volume-args.ts";

export default class VolumesShow extends BaseCommand {
  static override summary = "Show a volume: size, use, where it is mounted, snapshots, schedule.";
  static override examples = ["<%= config.bin %> volumes show data"];
  static override args = { name: volumeArg };

  async run() {
    const { args } = await this.parse(VolumesShow);
    const volume = await (await this.client()).volumes.get(validVolumeName(args.name));
    this.say(renderVolume(volume));
    return volume;
  }
}
