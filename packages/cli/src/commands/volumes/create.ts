import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk, formatMemory } from "../../lib/output.ts";
import { validSize, validVolumeName, volumeArg } from "../../lib/volume-args.ts";

export default class VolumesCreate extends BaseCommand {
  static override summary = "Create a volume of a fixed size; mount it with `mc deploy APP --volume NAME:/path`.";
  static override description =
    "On a Linux host run as root the volume is a file system of its own: writes past its size fail with ENOSPC in the app and touch nothing else. Its whole size counts against the tenant's storage quota from the start.";
  static override examples = ["<%= config.bin %> volumes create data --size 1g", "<%= config.bin %> volumes create pg --size 10g --json"];
  static override args = { name: volumeArg };
  static override flags = { size: Flags.string({ char: "s", description: "size, e.g. 512m, 10g", required: true }) };

  async run() {
    const { args, flags } = await this.parse(VolumesCreate);
    const volume = await (await this.client()).volumes.create(validVolumeName(args.name), validSize(flags.size));
    this.say(
      `${chalk.green("✔")} volume ${volume.name} created: ${formatMemory(volume.size)}${volume.enforcement === "soft" ? " (soft limit on this host)" : ""}`,
    );
    this.say(`  mount it: mc deploy APP --volume ${volume.name}:/data`);
    return volume;
  }
}
