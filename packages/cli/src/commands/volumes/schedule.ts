import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk } from "../../lib/output.ts";
import { UsageError } from "../../lib/usage-error.ts";
import { validVolumeName, volumeArg } from "../../lib/volume-args.ts";

export default class VolumesSchedule extends BaseCommand {
  static override summary = "Snapshot a volume on a schedule (cron, UTC), keeping the newest N scheduled snapshots.";
  static override description =
    "Schedules survive daemon restarts; a run missed while the daemon was down is taken when it starts. Every run is an event and an audit entry. --off removes the schedule (its snapshots stay).";
  static override examples = [
    '<%= config.bin %> volumes schedule data --cron "0 3 * * *" --keep 7',
    "<%= config.bin %> volumes schedule data --off",
  ];
  static override args = { name: volumeArg };
  static override flags = {
    cron: Flags.string({ description: 'cron expression, 5 fields (or 6 with seconds), e.g. "0 3 * * *"' }),
    keep: Flags.integer({ description: "how many scheduled snapshots to keep", min: 1, max: 100 }),
    off: Flags.boolean({ description: "remove the schedule", exclusive: ["cron", "keep"] }),
  };

  async run() {
    const { args, flags } = await this.parse(VolumesSchedule);
    const name = validVolumeName(args.name);
    const client = await this.client();
    if (flags.off) {
      const volume = await client.volumes.unschedule(name);
      this.say(`${name}: no schedule`);
      return volume;
    }
    if (!flags.cron || flags.keep === undefined) throw new UsageError('give --cron "EXPR" and --keep N (or --off)');
    const volume = await client.volumes.schedule(name, flags.cron, flags.keep);
    this.say(
      `${chalk.green("✔")} ${name}: snapshots at "${flags.cron}" (UTC), keeping ${flags.keep}; next ${volume.schedule?.nextRunAt ?? "-"}`,
    );
    return volume;
  }
}
