import { checkMountPath } from "@minicloud/shared/mount-rules";
import { checkName } from "@minicloud/shared/name-rules";
import { Args } from "@oclif/core";
import { UsageError } from "./usage-error.ts";

export const volumeArg = Args.string({ name: "NAME", description: "volume name", required: true });

/** Rejects a bad volume name before any request (exit 2). */
export function validVolumeName(name: string): string {
  const problem = checkName(name);
  if (problem) throw new UsageError(`invalid volume name "${name}": ${problem}`);
  return name;
}

/** "1g", "512m": refused before any request when it is not a size at all (the daemon checks the range). */
export function validSize(text: string, flag = "--size"): string {
  // The same shape as the daemon's size rule; zod stays unloaded here (start-up time).
  if (!/^\d{1,12}[kmg]?b?$/i.test(text.trim())) {
    throw new UsageError(`${flag} takes a size such as 512m or 10g, got "${text}"`);
  }
  return text.trim();
}

/** `--volume NAME:/path` → { name, path }, both checked before any request. */
export function parseVolumeFlag(text: string): { name: string; path: string } {
  const colon = text.indexOf(":");
  if (colon <= 0) throw new UsageError(`--volume takes NAME:/path, e.g. --volume data:/var/lib/data; got "${text}"`);
  const name = validVolumeName(text.slice(0, colon));
  const path = text.slice(colon + 1);
  const problem = checkMountPath(path);
  if (problem) throw new UsageError(`--volume ${text}: the path ${problem}`);
  return { name, path };
}
