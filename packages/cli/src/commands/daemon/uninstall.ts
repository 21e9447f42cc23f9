import { rm, stat } from "node:fs/promises";
import path from "node:path";
import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { DEFAULT_UNIT_PATH } from "../../lib/systemd-unit.ts";

export default class DaemonUninstall extends BaseCommand {
  static override summary = "Remove the systemd unit `mc daemon install` wrote.";
  static override description =
    "Run `systemctl disable --now minicloud` first; the unit file is removed, the data dir is kept. Apps, Caddy and CoreDNS keep running until `mc daemon stop --all`.";
  static override examples = ["<%= config.bin %> daemon uninstall", "<%= config.bin %> daemon uninstall --path ./minicloud.service"];
  static override flags = {
    path: Flags.string({ description: "the unit to remove", default: DEFAULT_UNIT_PATH }),
  };

  async run() {
    const { flags } = await this.parse(DaemonUninstall);
    const file = path.resolve(flags.path);
    const present = await stat(file).then(
      () => true,
      () => false,
    );
    if (!present) {
      this.say(`no unit at ${file}: nothing to remove`);
      return { path: file, removed: false };
    }
    await rm(file);
    this.say(`removed ${file}; run \`systemctl daemon-reload\``);
    return { path: file, removed: true };
  }
}
