import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { confirmByName } from "../../lib/interaction.ts";
import { validVolumeName, volumeArg } from "../../lib/volume-args.ts";

export default class VolumesDelete extends BaseCommand {
  static override summary = "Delete a volume, its data and its snapshots (refused while an app mounts it).";
  static override description = "Asks for the volume's name on a TTY; scripts must pass --yes.";
  static override examples = ["<%= config.bin %> volumes delete data", "<%= config.bin %> volumes delete data --yes"];
  static override args = { name: volumeArg };
  static override flags = { yes: Flags.boolean({ char: "y", description: "do not ask for confirmation" }) };

  async run() {
    const { args, flags } = await this.parse(VolumesDelete);
    const name = validVolumeName(args.name);
    if (!(await confirmByName({ yes: flags.yes, name, what: `deleting volume ${name} removes its data and its snapshots` }))) {
      this.say("nothing deleted");
      return { deleted: false, name };
    }
    await (await this.client()).volumes.delete(name);
    this.say(`volume ${name} deleted`);
    return { deleted: true, name };
  }
}
