/** When to restart a crashed instance, and when to call it crash-looping. Pure, so it is unit-tested. */
export interface CrashPolicy {
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** This many crashes within `windowMs` is a crash loop. */
  loopCount: number;
  windowMs: number;
}

export const DEFAULT_CRASH_POLICY: CrashPolicy = { initialBackoffMs: 500, maxBackoffMs: 30_000, loopCount: 3, windowMs: 120_000 };

/** Crash times still inside the window, oldest first. */
export function recentCrashes(times: number[], now: number, policy: CrashPolicy): number[] {
  return times.filter((t) => now - t < policy.windowMs);
}

/** Exponential backoff by the number of recent crashes (1 → initial, doubling, capped). */
export function backoffMs(recent: number, policy: CrashPolicy): number {
  return Math.min(policy.initialBackoffMs * 2 ** Math.max(0, recent - 1), policy.maxBackoffMs);
}

export function isCrashLoop(recent: number, policy: CrashPolicy): boolean {
  return recent >= policy.loopCount;
}
