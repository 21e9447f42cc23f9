import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { withSpinner } from "../../lib/interaction.ts";
import { chalk, formatMemory } from "../../lib/output.ts";
import { validVolumeName, volumeArg } from "../../lib/volume-args.ts";

export default class VolumesSnapshot extends BaseCommand {
  static override summary = "Take a point-in-time snapshot of a volume while its app runs.";
  static override description =
    "The volume's writes are held only while its file system is copied (the output says how long); the copy is then compressed. Snapshots count against the storage quota.";
  static override examples = [
    "<%= config.bin %> volumes snapshot data",
    '<%= config.bin %> volumes snapshot data --note "before the migration"',
  ];
  static override args = { name: volumeArg };
  static override flags = { note: Flags.string({ description: "a note to find it by (200 characters at most)" }) };

  async run() {
    const { args, flags } = await this.parse(VolumesSnapshot);
    const name = validVolumeName(args.name);
    const client = await this.client();
    const snapshot = await withSpinner(!this.jsonEnabled(), `Snapshotting ${name}…`, () => client.volumes.snapshot(name, flags.note));
    this.say(
      `${chalk.green("✔")} snapshot ${snapshot.id} of ${name}: ${formatMemory(snapshot.bytes)}, writes held ${snapshot.pauseMs ?? 0} ms`,
    );
    return snapshot;
  }
}
