import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Manifest } from "@minicloud/shared";
import { UsageError } from "./usage-error.ts";

export const MANIFEST_FILE = "mc.toml";

/** `./mc.toml` when there is one; a file that does not parse or has unknown keys is a usage error (exit 2). */
export async function readManifest(dir: string): Promise<Manifest | undefined> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  const { parse } = await import("smol-toml");
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    throw new UsageError(`${MANIFEST_FILE} is not valid TOML: ${(error as Error).message.split("\n")[0]}`);
  }
  // The schemas (and zod) load only when there is a manifest to check: start-up time.
  const { describeIssues, manifestSchema } = await import("@minicloud/shared");
  const checked = manifestSchema.safeParse(data);
  if (!checked.success) throw new UsageError(`${MANIFEST_FILE}: ${describeIssues(checked.error).message}`);
  return checked.data;
}
