import type { LogLine } from "../runtime/runtime.ts";

/** A stored line: what `mc logs` shows, plus the release the instance ran (for `--release`). */
export interface StoredLine extends LogLine {
  release: number;
}

/**
 * One line per log line, tab-separated: `ts instance stream release text`. Text comes last, so it may
 * hold tabs; it never holds a newline (the engine's lines are split on them). Plain text rather than
 * JSON so a search reads the fields it needs without parsing each line.
 */
export function encodeLine(line: StoredLine): string {
  return `${line.ts}\t${line.instance}\t${line.stream === "stderr" ? "e" : "o"}\t${line.release}\t${line.line.replaceAll("\n", " ")}\n`;
}

/** The fields of a stored line (without its newline); undefined for a line cut short (a crash mid-write). */
export function decodeLine(text: string): StoredLine | undefined {
  const a = text.indexOf("\t");
  const b = text.indexOf("\t", a + 1);
  const c = text.indexOf("\t", b + 1);
  const d = text.indexOf("\t", c + 1);
  if (a < 0 || b < 0 || c < 0 || d < 0) return undefined;
  return {
    ts: text.slice(0, a),
    instance: text.slice(a + 1, b),
    stream: text[b + 1] === "e" ? "stderr" : "stdout",
    release: Number(text.slice(c + 1, d)),
    line: text.slice(d + 1),
  };
}

/** Where the text of a stored line starts (after its four fields), or -1. */
export function textStart(text: string): number {
  let at = -1;
  for (let field = 0; field < 4; field++) {
    at = text.indexOf("\t", at + 1);
    if (at < 0) return -1;
  }
  return at + 1;
}

/** The instance field of a stored line, without decoding the rest. */
export function instanceOf(text: string): string {
  const a = text.indexOf("\t");
  return text.slice(a + 1, text.indexOf("\t", a + 1));
}
