import { access } from "node:fs/promises";
import path from "node:path";
import { BaseCommand } from "../../lib/base-command.ts";
import { localDaemonPaths, localHealth, readPid, spawnDaemon } from "../../lib/local-daemon.ts";
import { chalk } from "../../lib/output.ts";

export default class DaemonStart extends BaseCommand {
  static override summary = "Start the local daemon (mcd) in the background.";
  static override description =
    "Settings come from the same environment variables mcd reads (MC_DATA_DIR, MC_SOCKET, MC_LISTEN, MC_PREFIX, …); those given are saved to <data dir>/mcd.toml, so the next start keeps them without being told again. A Caddy and CoreDNS left running by the previous daemon are adopted, not restarted. Output goes to mcd.log in the data dir.";
  static override examples = ["<%= config.bin %> daemon start", "MC_LISTEN=0.0.0.0:7070 <%= config.bin %> daemon start"];

  async run() {
    await this.parse(DaemonStart);
    const paths = localDaemonPaths();
    const running = await localHealth(paths);
    if (running) {
      this.say(`mcd is already running on ${paths.socket}`);
      return { started: false, pid: (await readPid(paths)) ?? null, socket: paths.socket, dataDir: paths.dataDir };
    }
    const { pid } = await spawnDaemon(paths);
    this.say(`${chalk.green("✔")} mcd started (pid ${pid}) on ${paths.socket}; log: ${paths.logFile}`);
    const keyFile = path.join(paths.dataDir, "admin.key");
    const hasKeyFile = await access(keyFile).then(
      () => true,
      () => false,
    );
    if (hasKeyFile) this.say(`  admin API key for remote use: ${keyFile}`);
    return { started: true, pid, socket: paths.socket, dataDir: paths.dataDir };
  }
}
