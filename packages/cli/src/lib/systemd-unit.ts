/** Where `mc daemon install` writes the unit by default. */
export const DEFAULT_UNIT_PATH = "/etc/systemd/system/minicloud.service";

export interface UnitInput {
  /** The Node binary that runs mcd. */
  node: string;
  /** The installed mcd's entry script. */
  mcd: string;
  dataDir: string;
  socket: string;
  /** PATH for mcd: where it finds caddy and coredns, as `mc daemon start` would. */
  path: string | undefined;
}

/**
 * A word of ExecStart= or Environment=: `%` and `$` are systemd's specifiers and variables, so
 * they are doubled; anything with spaces, quotes or backslashes is double-quoted.
 */
function word(text: string): string {
  const literal = text.replaceAll("%", "%%").replaceAll("$", "$$$$");
  return /[\s"'\\;]/.test(literal) ? `"${literal.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"` : literal;
}

/**
 * The systemd unit that runs mcd as a service. Pure, so it is unit-tested. `KillMode=process`:
 * stopping or restarting the unit signals mcd alone, so Caddy and CoreDNS (in the unit's cgroup)
 * keep serving every app's URL and the next mcd adopts them.
 */
export function systemdUnit(input: UnitInput): string {
  return [
    "# Written by `mc daemon install`; `mc daemon uninstall` removes it.",
    `# Settings: ${input.dataDir}/mcd.toml (see docs/operations.md). Settings given to mcd by env var`,
    "# or flag are saved there, so a setting can also be changed with Environment= lines below.",
    "[Unit]",
    "Description=minicloud daemon (mcd)",
    "After=network-online.target docker.service",
    "Wants=network-online.target docker.service",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${[input.node, input.mcd, "--data-dir", input.dataDir, "--socket", input.socket].map(word).join(" ")}`,
    ...(input.path ? [`Environment=${word(`PATH=${input.path}`)}`] : []),
    "Restart=on-failure",
    "RestartSec=2",
    "# Caddy and CoreDNS outlive a restart of mcd: only mcd is signalled (mc daemon stop --all ends them).",
    "KillMode=process",
    "TimeoutStopSec=30",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
