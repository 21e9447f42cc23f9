import { readFile } from "node:fs/promises";
import type { SecretsChangeResult } from "@minicloud/shared";
import { Flags } from "@oclif/core";
import { chalk } from "./output.ts";
import { UsageError } from "./usage-error.ts";

export const stageFlag = Flags.boolean({
  description: "store the change without deploying; the next deploy of the app picks it up",
});

/**
 * Checks names and values before any request (exit 2). Messages name the secret and the rule,
 * never the value: they end up in terminals, CI logs and `--json` output.
 */
export async function checkedSecrets(values: Record<string, string>): Promise<Record<string, string>> {
  const { checkSecretName, checkSecretValue, MAX_SECRETS_PER_APP } = await import("@minicloud/shared");
  const problems: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    const nameProblem = checkSecretName(name);
    if (nameProblem) problems.push(`invalid secret name "${name}": ${nameProblem}`);
    const valueProblem = checkSecretValue(value);
    if (valueProblem) problems.push(`the value of ${name} ${valueProblem}`);
  }
  if (Object.keys(values).length > MAX_SECRETS_PER_APP)
    problems.push(`${Object.keys(values).length} secrets at once; an app may have at most ${MAX_SECRETS_PER_APP}`);
  if (problems.length > 0) throw new UsageError(problems.join("; "));
  return values;
}

/** Names for `unset`, checked like `set`'s. */
export async function checkedNames(names: string[]): Promise<string[]> {
  if (names.length === 0) throw new UsageError("name at least one secret to unset, e.g. `mc secrets unset web API_KEY`");
  await checkedSecrets(Object.fromEntries(names.map((name) => [name, ""])));
  return names;
}

/**
 * `K=V` pairs; `K=-` takes the value from stdin (once: a pipe has one body), `--from-file K=path`
 * from a file, as they are (a trailing newline is kept: strip it in the file if it is not meant).
 */
export async function secretPairs(pairs: string[], fromFiles: string[], stdin: () => Promise<string>): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  let stdinName: string | undefined;
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      // Everything before '=' only: a value given by mistake without a name must not be echoed.
      throw new UsageError(
        eq === 0
          ? "a secret needs a name: NAME=VALUE"
          : `secrets are given as NAME=VALUE (or NAME=- to read the value from stdin); argument ${pairs.indexOf(pair) + 1} after the app has no '=' (not repeated here: it may be a value)`,
      );
    }
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (value === "-") {
      if (stdinName !== undefined) throw new UsageError(`only one secret can come from stdin (${stdinName} already does)`);
      stdinName = name;
      values[name] = await stdin();
    } else values[name] = value;
  }
  for (const spec of fromFiles) {
    const eq = spec.indexOf("=");
    if (eq <= 0 || eq === spec.length - 1) throw new UsageError(`--from-file takes NAME=PATH, got "${spec}"`);
    const file = spec.slice(eq + 1);
    try {
      values[spec.slice(0, eq)] = await readFile(file, "utf8");
    } catch (error) {
      throw new UsageError(
        `--from-file ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`,
      );
    }
  }
  return values;
}

/** All of stdin as text; refused on a terminal, where it would wait for a person with no prompt. */
export async function readStdin(what: string): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError(`${what} reads stdin: pipe it in (e.g. \`... < file\`)`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The outcome of a change, in words: what changed, and whether a release took it. */
export function describeSecretsChange(result: SecretsChangeResult, stage: boolean): string {
  if (result.changed.length === 0) return `${chalk.green("✔")} ${result.app}: nothing changed (the same values are set already)`;
  const what = `${result.app}: ${result.changed.join(", ")} (secret set version ${result.version})`;
  if (result.deploy) return `${chalk.green("✔")} ${what}; release ${result.deploy.release} deployed with them`;
  return stage
    ? `${chalk.green("✔")} ${what} staged; the next \`mc deploy ${result.app}\` takes ${result.changed.length > 1 ? "them" : "it"}`
    : `${chalk.green("✔")} ${what} stored; ${result.app} is stopped or not deployed yet — its next deploy takes them`;
}
