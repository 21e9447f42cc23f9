import { z } from "zod";

const MEMORY_PATTERN = /^(\d{1,12})([kmg]?)b?$/i;
const MEMORY_FACTORS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
export const MIN_MEMORY_BYTES = 6 * 1024 ** 2;
export const MAX_MEMORY_BYTES = 64 * 1024 ** 3;
export const MIN_CPUS = 0.01;
export const MAX_CPUS = 64;

/** Parses "256m", "1g", "512k" or a byte count; undefined when the text is not a size. */
export function parseBytes(text: string): number | undefined {
  const match = MEMORY_PATTERN.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * (MEMORY_FACTORS[(match[2] ?? "").toLowerCase()] ?? 1);
}

export function formatBytes(bytes: number): string {
  for (const [unit, factor] of [
    ["g", 1024 ** 3],
    ["m", 1024 ** 2],
    ["k", 1024],
  ] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)}m`;
  return `${bytes}`;
}

/** A size given as text ("256m") or bytes, within [min, max]; the output is bytes. */
export function sizeSchema(min: number, max: number) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const bytes = typeof value === "number" ? value : parseBytes(value);
    if (bytes === undefined || !Number.isSafeInteger(bytes)) {
      ctx.addIssue({ code: "custom", message: "must be a size such as 256m, 1g or a whole number of bytes" });
      return z.NEVER;
    }
    if (bytes < min || bytes > max) {
      ctx.addIssue({ code: "custom", message: `must be between ${formatBytes(min)} and ${formatBytes(max)}` });
      return z.NEVER;
    }
    return bytes;
  });
}

export const memorySchema = sizeSchema(MIN_MEMORY_BYTES, MAX_MEMORY_BYTES);

/** CPUs as a decimal ("0.5" or 0.5) with at most two decimals. */
export const cpusSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = String(value).trim();
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(text)) {
    ctx.addIssue({ code: "custom", message: "must be a decimal number of CPUs such as 0.5 or 2 (two decimals at most)" });
    return z.NEVER;
  }
  const cpus = Number(text);
  if (cpus < MIN_CPUS || cpus > MAX_CPUS) {
    ctx.addIssue({ code: "custom", message: `must be between ${MIN_CPUS} and ${MAX_CPUS}` });
    return z.NEVER;
  }
  return cpus;
});

const DURATION_PATTERN = /^(\d{1,9})([smhd])$/;
const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** A duration such as 30s, 10m, 2h or 1d, as used by `--since`. */
export const durationSchema = z.string().regex(DURATION_PATTERN, { message: "must be a duration such as 30s, 10m, 2h or 1d" });

/** Seconds in a duration that `durationSchema` accepted. */
export function durationSeconds(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1]) * SECONDS_PER_UNIT[match[2] as keyof typeof SECONDS_PER_UNIT];
}
