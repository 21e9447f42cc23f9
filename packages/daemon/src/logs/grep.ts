import { ApiError } from "@minicloud/shared";
import { RE2JS } from "re2js";

/** Longest `--grep` pattern accepted: RE2 is linear in the text, but its compiled program grows with the pattern. */
export const MAX_GREP_LENGTH = 1000;

/** Whether a line's text matches; `chunk`, when set, whether any line of a newline-separated chunk may. */
export type LineTest = ((text: string) => boolean) & { chunk?: ((text: string) => boolean) | undefined };

/**
 * Patterns whose matches within a line are matches within a chunk of lines too, with MULTILINE
 * (`$` at each line's end): none anchored at the text's start (`^`, `\A` would see a stored line's
 * start, not its text's), none at the chunk's end (`\z`), no flags that could turn MULTILINE off.
 */
const CHUNK_UNSAFE = /\^|\\A|\\z|\(\?/;

/**
 * A `--grep` pattern compiled by RE2JS, a port of RE2: matching takes time linear in the line
 * whatever the pattern (no backtracking, so `(a+)+$` cannot run away). RE2 syntax: no
 * backreferences or lookaround; an invalid pattern is a 400 that names --grep.
 */
export function compileGrep(pattern: string): LineTest {
  if (pattern.length > MAX_GREP_LENGTH) throw new ApiError("invalid_input", `--grep is longer than ${MAX_GREP_LENGTH} characters`);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ApiError("invalid_input", `--grep is not a valid regular expression (RE2 syntax: no backreferences or lookaround): ${why}`);
  }
  const test: LineTest = (text) => compiled.matcher(text).find();
  if (!CHUNK_UNSAFE.test(pattern)) {
    const chunked = RE2JS.compile(pattern, RE2JS.MULTILINE);
    test.chunk = (text) => chunked.matcher(text).find();
  }
  return test;
}
