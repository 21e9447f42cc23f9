import { accessSync, constants } from "node:fs";
import path from "node:path";

export class MissingBinaryError extends Error {}

/**
 * The path of an external program: the explicit setting when given, else the first match on PATH.
 * A missing program is a clear start-up error that names the setup step.
 */
export function findBinary(name: string, explicit: string | undefined, settingName: string): string {
  const candidates = explicit ? [explicit] : (process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  const where = explicit ? `at ${explicit} (${settingName})` : "on PATH";
  throw new MissingBinaryError(
    `${name} was not found ${where} — run \`bash scripts/setup\` as root, which installs it, or set ${settingName}`,
  );
}
