import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { confirmByName, withSpinner } from "../../lib/interaction.ts";
import { chalk } from "../../lib/output.ts";
import { validVolumeName, volumeArg } from "../../lib/volume-args.ts";

export default class VolumesRestore extends BaseCommand {
  static override summary = "Bring a volume back to a snapshot, in place.";
  static override description =
    "A safety snapshot of the current data is taken first (listed, so the restore can be undone), the app that mounts the volume is stopped, the data replaced, and the app started again.";
  static override examples = ["<%= config.bin %> volumes restore data 20261124T030000-1a2b --yes"];
  static override args = {
    name: volumeArg,
    snapshot: Args.string({ description: "snapshot id (see `mc volumes snapshots NAME`)", required: true }),
  };
  static override flags = { yes: Flags.boolean({ char: "y", description: "do not ask for confirmation" }) };

  async run() {
    const { args, flags } = await this.parse(VolumesRestore);
    const name = validVolumeName(args.name);
    if (
      !(await confirmByName({
        yes: flags.yes,
        name,
        what: `restoring ${name} replaces its data with snapshot ${args.snapshot} (its app restarts)`,
      }))
    ) {
      this.say("nothing restored");
      return { restored: false, name };
    }
    const client = await this.client();
    const result = await withSpinner(!this.jsonEnabled(), `Restoring ${name}…`, () => client.volumes.restore(name, args.snapshot));
    this.say(`${chalk.green("✔")} ${name} restored to ${args.snapshot}; the data before it is snapshot ${result.safety.id}`);
    return result;
  }
}
