/**
 * The images a Dockerfile builds on: every `FROM` and every `COPY --from=` that is not an earlier
 * stage. Pure, so the rules are unit-tested; builds.ts checks each against what the tenant may run.
 */

export interface DockerfileSources {
  /** Image references the build would read, as written after variable substitution. */
  images: string[];
  /** Why the Dockerfile cannot be checked (a variable left unresolved in FROM, say), if it cannot. */
  problem?: string;
}

/** Joins continuation lines (a trailing backslash) and drops comments and blank lines. */
function instructions(text: string): string[] {
  const lines: string[] = [];
  let current = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (current === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push((current + line).trim());
    current = "";
  }
  if (current.trim()) lines.push(current.trim());
  return lines;
}

/** `$NAME`, `${NAME}` and `${NAME:-default}` from the build's ARGs; undefined when one is unknown. */
function substitute(word: string, args: Map<string, string>): string | undefined {
  let unknown = false;
  const value = word.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, braced, fallback, bare) => {
    const name = (braced ?? bare) as string;
    const found = args.get(name) ?? fallback;
    if (found === undefined) unknown = true;
    return found ?? "";
  });
  return unknown ? undefined : value;
}

export function dockerfileSources(text: string, buildArgs: Record<string, string> = {}): DockerfileSources {
  const args = new Map<string, string>();
  const stages = new Set<string>();
  const images: string[] = [];
  let stageCount = 0;
  for (const line of instructions(text)) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const instruction = keyword.toUpperCase();
    if (instruction === "ARG" && stageCount === 0) {
      for (const declaration of rest) {
        const [name = "", ...value] = declaration.split("=");
        const given = buildArgs[name];
        const fallback = value.length ? value.join("=").replace(/^["']|["']$/g, "") : undefined;
        const resolved = given ?? fallback;
        if (resolved !== undefined) args.set(name, resolved);
      }
    } else if (instruction === "FROM") {
      const words = rest.filter((w) => !w.startsWith("--"));
      const reference = substitute(words[0] ?? "", args);
      if (reference === undefined || reference === "") return { images, problem: `FROM ${words[0] ?? ""}: a variable with no value` };
      const lowered = reference.toLowerCase();
      if (lowered !== "scratch" && !stages.has(lowered)) images.push(reference);
      if (words[1]?.toUpperCase() === "AS" && words[2]) stages.add(words[2].toLowerCase());
      stageCount++;
    } else if (instruction === "COPY" || instruction === "ADD") {
      for (const flag of rest.filter((w) => w.toLowerCase().startsWith("--from="))) {
        const source = substitute(flag.slice("--from=".length), args);
        if (source === undefined) return { images, problem: `${flag}: a variable with no value` };
        // A stage by name or by its index needs nothing; anything else is an image.
        if (!stages.has(source.toLowerCase()) && !/^\d+$/.test(source)) images.push(source);
      }
    }
  }
  return { images };
}
