import { checkAppName } from "@minicloud/shared/name-rules";
import { Args } from "@oclif/core";
import { UsageError } from "./usage-error.ts";

export const appArg = Args.string({ name: "APP", description: "app name", required: true });

/** Rejects a bad app name before any request is made (exit 2). */
export function validAppName(name: string): string {
  const problem = checkAppName(name);
  if (problem) throw new UsageError(`invalid app name "${name}": ${problem}`);
  return name;
}
