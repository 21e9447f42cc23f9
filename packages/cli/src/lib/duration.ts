import { UsageError } from "./usage-error.ts";

const UNITS = { s: 1, m: 60, h: 3600 } as const;

/** "90s", "2m", "1h" or a plain number of seconds, as whole seconds. */
export function parseSeconds(text: string, flag: string): number {
  const match = /^(\d{1,6})([smh]?)$/.exec(text.trim());
  if (!match) throw new UsageError(`${flag} takes a duration such as 30s, 2m or 1h, got "${text}"`);
  return Number(match[1]) * UNITS[(match[2] || "s") as keyof typeof UNITS];
}
