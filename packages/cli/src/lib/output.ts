import chalk from "chalk";

if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") chalk.level = 0;

export { chalk };

/** A plain aligned table: the header dimmed, columns padded to their widest cell. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? "-" : String(cell))));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => visibleLength(row[i] ?? ""))));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell + " ".repeat((widths[i] ?? 0) - visibleLength(cell)))
      .join("  ")
      .trimEnd();
  return [chalk.dim(line(headers)), ...cells.map(line)].join("\n");
}

function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
  return text.replace(/\u001b\[[0-9;]*m/g, "").length;
}

export function formatMemory(bytes: number | null): string {
  if (bytes === null) return "-";
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)}G`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)}M`;
  return bytes >= 1024 ? `${Math.round(bytes / 1024)}K` : `${bytes}B`;
}

export function colourState(state: string): string {
  if (state === "running" || state === "healthy" || state === "active") return chalk.green(state);
  if (state === "stopped" || state === "unknown" || state === "starting" || state === "superseded") return chalk.yellow(state);
  return chalk.red(state);
}

export function since(iso: string | null): string {
  if (!iso) return "-";
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}
