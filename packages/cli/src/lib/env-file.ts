import { readFile } from "node:fs/promises";
import { UsageError } from "./usage-error.ts";

/** Reads a dotenv file (KEY=value lines, quotes, comments, multi-line values) as dotenv does. */
export async function readEnvFile(file: string): Promise<Record<string, string>> {
  let text: Buffer;
  try {
    text = await readFile(file);
  } catch (error) {
    throw new UsageError(
      `--env-file ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`,
    );
  }
  const { parse } = await import("dotenv");
  return parse(text);
}

/** `KEY=VALUE` pairs from the command line; the value may contain '=' and may be empty. */
export function parseEnvPairs(pairs: string[], flag = "--env"): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`${flag} takes KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}
