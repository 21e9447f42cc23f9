import type { Snapshot, Volume } from "@minicloud/shared";
import { chalk, formatMemory, since, table } from "./output.ts";

export function renderVolumes(volumes: Volume[]): string {
  if (volumes.length === 0) return "no volumes yet — `mc volumes create NAME --size 1g`";
  return table(
    ["VOLUME", "SIZE", "USED", "APP", "SNAPSHOTS", "LAST SNAPSHOT", "SCHEDULE"],
    volumes.map((v) => [
      v.state === "ready" ? v.name : `${v.name} (${v.state})`,
      `${formatMemory(v.size)}${v.enforcement === "soft" ? " (soft)" : ""}`,
      v.used === null ? "-" : `${formatMemory(v.used)} ${percent(v.used, v.size)}`,
      v.attachedTo ? `${v.attachedTo.app}:${v.attachedTo.path}` : "-",
      v.snapshots === 0 ? "0" : `${v.snapshots} (${formatMemory(v.snapshotBytes)})`,
      v.lastSnapshotAt ? `${since(v.lastSnapshotAt)} ago` : "-",
      v.schedule ? `${v.schedule.cron} keep ${v.schedule.keep}` : "-",
    ]),
  );
}

export function renderVolume(v: Volume): string {
  return [
    `${chalk.bold(v.name)} (tenant ${v.tenant}) ${v.state}`,
    `  size      ${formatMemory(v.size)} — ${v.enforcement === "hard" ? "its own file system: writes past it fail with ENOSPC" : "soft: tracked, not enforced on this host"}`,
    `  used      ${v.used === null ? "-" : `${formatMemory(v.used)} ${percent(v.used, v.size)}`}`,
    `  mounted   ${v.attachedTo ? `by ${v.attachedTo.app} at ${v.attachedTo.path}` : "by no app"}`,
    `  snapshots ${v.snapshots} (${formatMemory(v.snapshotBytes)})${v.lastSnapshotAt ? `, last ${since(v.lastSnapshotAt)} ago` : ""}`,
    `  schedule  ${v.schedule ? `${v.schedule.cron} (UTC), keep ${v.schedule.keep}, next ${v.schedule.nextRunAt ?? "-"}${v.schedule.lastError ? chalk.red(`, last run failed: ${v.schedule.lastError}`) : ""}` : "none"}`,
  ].join("\n");
}

export function renderSnapshots(snapshots: Snapshot[]): string {
  if (snapshots.length === 0) return "no snapshots yet — `mc volumes snapshot NAME`";
  return table(
    ["SNAPSHOT", "TAKEN", "SIZE", "KIND", "PAUSE", "NOTE"],
    snapshots.map((s) => [
      s.id,
      s.createdAt.replace("T", " ").slice(0, 19),
      formatMemory(s.bytes),
      s.kind,
      s.pauseMs === null ? "-" : `${s.pauseMs} ms`,
      s.note ?? "",
    ]),
  );
}

function percent(used: number, size: number): string {
  return chalk.dim(`(${Math.round((used / size) * 100)}%)`);
}
