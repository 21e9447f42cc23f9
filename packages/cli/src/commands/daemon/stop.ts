import { Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { localDaemonPaths, stopDaemon } from "../../lib/local-daemon.ts";

export default class DaemonStop extends BaseCommand {
  static override summary = "Stop the local daemon; apps keep running and their URLs keep answering.";
  static override description =
    "Caddy (the ingress), CoreDNS and the built-in registry keep running, so every app's URL keeps answering, and the host firewall rules that fence tenant networks stay; the next `mc daemon start` adopts them. `--all` stops Caddy, CoreDNS and the registry too (the URLs go down until the next start) and removes the firewall rules.";
  static override examples = ["<%= config.bin %> daemon stop", "<%= config.bin %> daemon stop --all"];
  static override flags = {
    all: Flags.boolean({
      description: "also stop Caddy and CoreDNS (every app's URL goes down until the next start) and remove the host firewall rules",
    }),
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
    const { removeHostFirewall } = await import("@minicloud/daemon/firewall");
    const firewallChain = (await removeHostFirewall(paths.dataDir)) ?? null;
    if (firewallChain) this.say(`host firewall rules removed (iptables chain ${firewallChain})`);
    return { stopped: pid !== undefined, ...(pid ? { pid } : {}), components, firewallChain };
  }
}
