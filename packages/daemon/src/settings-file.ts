import { readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "smol-toml";

/** A setting that cannot be used; the message names the setting and where it came from. */
export class ConfigError extends Error {}

/** Settings as the file has them: every value a string or a number, by its flag name. */
export type FileValues = Map<string, string | number>;

const HEADER = [
  '# mcd settings (see docs/operations.md). Keys are mcd\'s flag names: hosts-file = "/etc/hosts".',
  "# mcd writes the settings it was given by env var or flag here, so the next start keeps them;",
  "# env vars and flags win over this file. Edit freely: comments and other lines are kept.",
];

/**
 * Reads an `mcd.toml`: top-level `key = value` pairs whose keys are in `allowed`. Undefined when the
 * file does not exist; anything else wrong is a one-line ConfigError naming the file and the key.
 */
export function readSettingsFile(file: string, allowed: ReadonlySet<string>, refused: ReadonlyMap<string, string>): FileValues | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError(`${file}: cannot be read (${(error as Error).message})`);
  }
  let table: Record<string, unknown>;
  try {
    table = parse(text);
  } catch (error) {
    const { line } = error as { line?: number };
    const reason = (error as Error).message.split("\n")[0]?.replace(/^Invalid TOML document: /, "");
    throw new ConfigError(`${file}${line ? `:${line}` : ""}: not valid TOML (${reason})`);
  }
  const values: FileValues = new Map();
  for (const [key, value] of Object.entries(table)) {
    const why = refused.get(key);
    if (why) throw new ConfigError(`${file}: ${key} cannot be set in this file (${why})`);
    if (!allowed.has(key)) throw new ConfigError(`${file}: unknown setting "${key}" — known: ${[...allowed].join(", ")}`);
    if (typeof value !== "string" && typeof value !== "number")
      throw new ConfigError(`${file}: ${key} must be a string or a number, got ${describe(value)}`);
    values.set(key, value);
  }
  return values;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  return typeof value === "object" ? "a table" : `a ${typeof value}`;
}

/** A TOML value: numbers bare, strings as basic strings (JSON's escapes are TOML's). */
function tomlValue(value: string | number): string {
  return typeof value === "number" ? String(value) : JSON.stringify(value);
}

/**
 * The file's text with `values` set: a key's existing line is replaced in place, new keys are
 * appended, every other line (comments, other keys) is kept. Pure, so it is unit-tested.
 */
export function withSettings(text: string, values: FileValues): string {
  const lines = text === "" ? [...HEADER] : text.replace(/\n$/, "").split("\n");
  for (const [key, value] of values) {
    const line = `${key} = ${tomlValue(value)}`;
    const at = lines.findIndex((l) => keyOfLine(l) === key);
    if (at === -1) lines.push(line);
    else lines[at] = line;
  }
  return `${lines.join("\n")}\n`;
}

function keyOfLine(line: string): string | undefined {
  const match = /^\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*=/.exec(line);
  return match ? (match[1] ?? match[2] ?? match[3]) : undefined;
}

/** Writes `values` into the file (atomically, only when something changed); returns whether it did. */
export async function saveSettings(file: string, values: FileValues): Promise<boolean> {
  if (values.size === 0) return false;
  const current = await readFile(file, "utf8").catch(() => "");
  const next = withSettings(current, values);
  if (next === current) return false;
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  await writeFile(temporary, next, { mode: 0o644 });
  await rename(temporary, file);
  return true;
}
