import { BaseCommand } from "../../lib/base-command.ts";
import { localDaemonPaths, readPid } from "../../lib/local-daemon.ts";

export default class DaemonStop extends BaseCommand {
  static override summary = "Stop the local daemon; apps keep running and are picked up at the next start.";
  static override examples = ["<%= config.bin %> daemon stop"];

  async run() {
    await this.parse(DaemonStop);
    const paths = localDaemonPaths();
    const pid = await readPid(paths);
    if (!pid) {
      this.say("mcd is not running");
      return { stopped: false };
    }
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
      } catch {
        this.say(`mcd (pid ${pid}) stopped`);
        return { stopped: true, pid };
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`mcd (pid ${pid}) did not stop within 15s — kill it with \`kill -9 ${pid}\``);
  }
}
