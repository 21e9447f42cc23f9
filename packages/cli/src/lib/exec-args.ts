import { Flags } from "@oclif/core";
import { UsageError } from "./usage-error.ts";

export const instanceFlag = Flags.string({
  description: "the instance to run in (an id from `mc status APP`); default: the app's first running instance",
});

/** An instance id as `mc status` prints it; anything else cannot exist. */
export function validInstance(id: string | undefined): string | undefined {
  if (id !== undefined && !/^[a-z0-9]{1,64}$/.test(id)) throw new UsageError(`invalid instance id "${id}": see \`mc status APP\``);
  return id;
}

/**
 * The argv after `--`, exactly as typed (oclif's parsed argv reorders repeated words). Words after
 * the app without `--` are refused: they would be read as mc's own flags.
 */
export function commandAfterDashes(rawArgv: string[], parsedArgv: unknown[], example: string): string[] {
  const dashes = rawArgv.indexOf("--");
  if (dashes !== -1) return rawArgv.slice(dashes + 1);
  if (parsedArgv.length > 1) throw new UsageError(`put the command after \`--\`, e.g. \`${example}\``);
  return [];
}
