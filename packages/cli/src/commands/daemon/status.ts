import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Component } from "@minicloud/shared";
import { certificateFingerprint } from "@minicloud/shared/client";
import { BaseCommand } from "../../lib/base-command.ts";
import { localDaemonPaths, localHealth, localSettings, readPid } from "../../lib/local-daemon.ts";
import { chalk, table } from "../../lib/output.ts";

export default class DaemonStatus extends BaseCommand {
  static override summary = "Show whether the local daemon runs, its engine, ingress and DNS, and its settings.";
  static override description =
    "Each setting shows where its value came from: a flag or env var, a settings file (<data dir>/mcd.toml, /etc/minicloud/mcd.toml), or the default. Exits 1 when the daemon is not running, so scripts can wait on it.";
  static override examples = ["<%= config.bin %> daemon status", "<%= config.bin %> daemon status --json"];

  async run() {
    await this.parse(DaemonStatus);
    const paths = localDaemonPaths();
    const health = await localHealth(paths);
    const pid = (await readPid(paths)) ?? null;
    const settings = (health && (await localSettings(paths))) || null;
    const fingerprint = await tlsFingerprint(paths.dataDir, settings?.settings.find((s) => s.key === "tls-cert")?.value ?? undefined);
    const result = {
      running: Boolean(health),
      pid,
      socket: paths.socket,
      dataDir: paths.dataDir,
      health: health ?? null,
      tlsFingerprint: fingerprint,
      settings,
    };
    if (!health) {
      this.say(`${chalk.red("✖")} mcd is not running (socket ${paths.socket}) — start it with \`mc daemon start\``);
      if (this.jsonEnabled()) this.logJson(result);
      this.exit(1);
    }
    this.say(`${chalk.green("●")} mcd ${health?.version} running (pid ${pid ?? "?"})`);
    this.say(`  socket:   ${paths.socket}`);
    this.say(`  data dir: ${paths.dataDir}`);
    this.say(`  engine:   ${health?.engine === "up" ? chalk.green("up") : chalk.red("down")}`);
    for (const [role, component] of Object.entries(health?.components ?? {})) {
      this.say(`  ${`${role}:`.padEnd(9)} ${describeComponent(component)}`);
    }
    this.say(
      `  host firewall: ${health?.hostFirewall === "active" ? "active (tenant networks reach only their DNS and the ingress on the host)" : chalk.yellow("off")}`,
    );
    if (fingerprint) this.say(`  TLS:      ${fingerprint} (what \`mc login --fingerprint\` pins)`);
    if (settings) {
      const files = settings.files.map((f) => `${f.path}${f.loaded ? "" : " (absent)"}`).join(", ");
      this.say(`  settings: from flags/env, then ${files}, then defaults\n`);
      const rows = settings.settings.map((s) => [s.key, s.value ?? "(unset)", s.source === "file" ? `file ${s.file}` : s.source]);
      this.say(table(["SETTING", "VALUE", "FROM"], rows).replace(/^/gm, "  "));
    }
    return result;
  }
}

function describeComponent(component: Component): string {
  const state = component.state === "running" ? chalk.green("running") : chalk.yellow(component.state);
  const pid = component.pid ? ` pid ${component.pid}` : "";
  const exit = component.lastExit ? `, last exit ${component.lastExit.code ?? component.lastExit.signal} at ${component.lastExit.at}` : "";
  const adopted = component.adopted ? " (adopted from the previous daemon)" : "";
  return `${component.name} ${state}${pid}${adopted}, ${component.restarts} restart(s)${exit}`;
}

/** The fingerprint of the TCP listener's certificate, when the daemon serves TLS (bound beyond loopback). */
async function tlsFingerprint(dataDir: string, ownCert: string | undefined): Promise<string | null> {
  const file = ownCert ?? process.env.MC_TLS_CERT ?? path.join(dataDir, "tls", "cert.pem");
  try {
    return certificateFingerprint(await readFile(file));
  } catch {
    return null;
  }
}
