/** Median and p99 of samples (ms), and the ratio of two medians. */
export function summarise(samples: number[]): { n: number; median: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return { n: sorted.length, median: round(at(0.5)), p99: round(at(0.99)) };
}

export const round = (n: number) => Math.round(n * 100) / 100;

export async function timeIt(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}
