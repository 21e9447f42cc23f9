import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { localDaemonPaths, stopDaemon } from "../../lib/local-daemon.ts";

export default class DaemonStop extends BaseCommand {
  static override summary = "Stop the local daemon; apps keep running and their URLs keep answering.";
  static override description =
    "Caddy (the ingress) and CoreDNS keep running, so every app's URL keeps answering; the next `mc daemon start` adopts them. `--all` stops them too: the URLs go down until the next start.";
  static override examples = ["<%= config.bin %> daemon stop", "<%= config.bin %> daemon stop --all"];
  static override flags = {
    all: Flags.boolean({ description: "also stop Caddy and CoreDNS (every app's URL goes down until the next start)" }),
  };

  async run() {
    const { flags } = await this.parse(DaemonStop);
    const paths = localDaemonPaths();
    const pid = await stopDaemon(paths);
    this.say(pid ? `mcd (pid ${pid}) stopped` : "mcd is not running");
    if (!flags.all) return pid ? { stopped: true, pid } : { stopped: false };
    // Loaded here only: the rest of the CLI never needs the daemon's code.
    const { stopLeftovers } = await import("@minicloud/daemon/supervisor");
    const components = await stopLeftovers(paths.dataDir);
    for (const component of components) this.say(`${component.name} (pid ${component.pid}) stopped`);
    return { stopped: pid !== undefined, ...(pid ? { pid } : {}), components };
  }
}
