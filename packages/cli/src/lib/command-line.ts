import { UsageError } from "./usage-error.ts";

/**
 * Splits a command given as one string (`--command`, `command = "…"` in mc.toml) into argv the
 * way a shell would quote it. Nothing is run through a shell: operators such as `&&` or `|` are
 * refused with a hint instead of being passed on as words.
 */
export async function splitCommand(text: string, source: string): Promise<string[]> {
  const { parse } = await import("shell-quote");
  const words: string[] = [];
  // A function keeps `$VAR` literal: the container's environment expands it, not this machine's.
  for (const token of parse(text, (name) => `$${name}`)) {
    if (typeof token === "string") words.push(token);
    else if ("comment" in token) break;
    else
      throw new UsageError(
        `${source} runs one program, without a shell: wrap shell syntax in sh -c, e.g. ${source === "--command" ? "--command" : "command ="} "sh -c 'a && b'"`,
      );
  }
  if (words.length === 0) throw new UsageError(`${source} is empty: give the program to run and its arguments`);
  return words;
}
