import type { QuotaLimits, QuotaUsage } from "@minicloud/shared";
import { chalk, formatMemory, table } from "./output.ts";

function bar(used: number, limit: number): string {
  const ratio = limit > 0 ? Math.min(1, used / limit) : 1;
  const filled = Math.round(ratio * 20);
  const text = `${"█".repeat(filled)}${"░".repeat(20 - filled)} ${Math.round(ratio * 100)}%`;
  return ratio >= 0.9 ? chalk.red(text) : ratio >= 0.7 ? chalk.yellow(text) : chalk.green(text);
}

export function renderQuota(limits: QuotaLimits, usage: QuotaUsage): string {
  return table(
    ["RESOURCE", "USED", "LIMIT", ""],
    [
      ["instances", usage.instances, limits.maxInstances, bar(usage.instances, limits.maxInstances)],
      ["cpus", usage.cpus, limits.maxCpus, bar(usage.cpus, limits.maxCpus)],
      ["memory", formatMemory(usage.memory), formatMemory(limits.maxMemory), bar(usage.memory, limits.maxMemory)],
      ["storage", formatMemory(usage.storage), formatMemory(limits.maxStorage), bar(usage.storage, limits.maxStorage)],
      ...(usage.volumes === undefined || usage.snapshots === undefined
        ? []
        : [
            ["  volumes", formatMemory(usage.volumes), "", chalk.dim("their full sizes, reserved when created")],
            ["  snapshots", formatMemory(usage.snapshots), "", chalk.dim("compressed bytes")],
          ]),
      ...(usage.writableLayers
        ? [["  writable layers", formatMemory(usage.writableLayers), "", chalk.dim("written into --writable-rootfs apps, sampled")]]
        : []),
      ...(usage.images ? [["  images", formatMemory(usage.images), "", chalk.dim("built images, each whole (its base too)")]] : []),
      ...(usage.logs === undefined
        ? []
        : [["logs", formatMemory(usage.logs), "", chalk.dim("stored app logs, capped by the daemon (oldest go first)")]]),
      ...(usage.apps === undefined || limits.maxApps === undefined
        ? []
        : [["apps", usage.apps, limits.maxApps, bar(usage.apps, limits.maxApps)]]),
    ],
  );
}
