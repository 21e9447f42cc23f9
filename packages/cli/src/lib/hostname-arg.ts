import { checkHostname, normalizeHostname } from "@minicloud/shared/hostname-rules";
import { Args } from "@oclif/core";
import { UsageError } from "./usage-error.ts";

export const hostnameArg = Args.string({ name: "HOST", description: "host name, such as shop.example.com", required: true });

/** Normalises a custom domain and rejects a bad one before any request is made (exit 2). */
export function validHostname(raw: string): string {
  const host = normalizeHostname(raw);
  const problem = checkHostname(host);
  if (problem) throw new UsageError(`invalid hostname "${raw}": ${problem}`);
  return host;
}
