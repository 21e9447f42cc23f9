import { BaseCommand } from "../../lib/base-command.ts";
import { renderVolumes } from "../../lib/render-volume.ts";

export default class VolumesList extends BaseCommand {
  static override summary = "List the tenant's volumes: size, use, the app that mounts them, snapshots, schedule.";
  static override examples = ["<%= config.bin %> volumes list", "<%= config.bin %> volumes list --json"];

  async run() {
    await this.parse(VolumesList);
    const volumes = await (await this.client()).volumes.list();
    this.say(renderVolumes(volumes));
    return { volumes };
  }
}
