import { BaseCommand } from "../../lib/base-command.ts";
import { localDaemonPaths, spawnDaemon, stopDaemon } from "../../lib/local-daemon.ts";
import { chalk } from "../../lib/output.ts";

export default class DaemonRestart extends BaseCommand {
  static override summary = "Restart the local daemon (stop, then start); returns once it is ready again.";
  static override description =
    "Apps keep running and their URLs keep answering throughout: the new daemon adopts the running Caddy and CoreDNS. Settings come from the data dir's mcd.toml, and from MC_* env vars given now (which are saved there).";
  static override examples = ["<%= config.bin %> daemon restart"];

  async run() {
    await this.parse(DaemonRestart);
    const paths = localDaemonPaths();
    const previous = await stopDaemon(paths);
    const { pid } = await spawnDaemon(paths);
    this.say(`${chalk.green("✔")} mcd ${previous ? "restarted" : "started"} (pid ${pid}) on ${paths.socket}; log: ${paths.logFile}`);
    return { restarted: previous !== undefined, previousPid: previous ?? null, pid, socket: paths.socket, dataDir: paths.dataDir };
  }
}
