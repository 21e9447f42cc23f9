import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { localDaemonPaths, mcdEntry } from "../../lib/local-daemon.ts";
import { chalk } from "../../lib/output.ts";
import { DEFAULT_UNIT_PATH, systemdUnit } from "../../lib/systemd-unit.ts";

export default class DaemonInstall extends BaseCommand {
  static override summary = "Install mcd as a systemd service (writes the unit; does not start it).";
  static override description =
    `Writes ${DEFAULT_UNIT_PATH}: it runs this installation's mcd on the data dir (MC_DATA_DIR) and socket (MC_SOCKET) in effect now, with its settings from <data dir>/mcd.toml — the settings the last \`mc daemon start\` was given are already there. Restart=on-failure; KillMode=process, so Caddy and CoreDNS keep serving across a restart of the service. Then run \`systemctl daemon-reload && systemctl enable --now minicloud\` (after \`mc daemon stop\`, if it runs).`;
  static override examples = [
    "<%= config.bin %> daemon install",
    "<%= config.bin %> daemon install --print",
    "<%= config.bin %> daemon install --path ./minicloud.service",
  ];
  static override flags = {
    path: Flags.string({ description: "where to write the unit", default: DEFAULT_UNIT_PATH }),
    print: Flags.boolean({ description: "print the unit instead of writing it" }),
  };

  async run() {
    const { flags } = await this.parse(DaemonInstall);
    const paths = localDaemonPaths();
    const unit = systemdUnit({
      node: process.execPath,
      mcd: mcdEntry(),
      dataDir: paths.dataDir,
      socket: paths.socket,
      path: process.env.PATH,
    });
    const file = path.resolve(flags.path);
    if (flags.print) {
      if (!this.jsonEnabled()) process.stdout.write(unit);
      return { path: null, written: false, unit };
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, unit, { mode: 0o644 });
    await rename(`${file}.tmp`, file);
    this.say(`${chalk.green("✔")} wrote ${file}`);
    const name = path.basename(file);
    this.say(`  next: systemctl daemon-reload && systemctl enable --now ${name}   (stop a running mcd first: mc daemon stop)`);
    return { path: file, written: true, unit };
  }
}
