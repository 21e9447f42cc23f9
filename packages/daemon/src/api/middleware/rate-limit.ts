import { ApiError } from "@minicloud/shared";
import { createMiddleware } from "hono/factory";
import type { ApiEnv } from "../env.ts";
import { problemResponse } from "../problem.ts";

export interface RateLimitOptions {
  /** Requests allowed per key per window (also the burst). */
  limit: number;
  windowSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Whether a call may go ahead, with the RateLimit-* (and when refused, Retry-After) headers to send. */
export type RateDecision =
  | { allowed: true; headers: Record<string, string> }
  | { allowed: false; headers: Record<string, string>; error: ApiError };

/**
 * Token bucket per API key: `limit` calls per `windowSeconds`, refilled continuously. One limiter is
 * shared by the HTTP API and the WebSocket upgrades, so an upgrade costs a key the same as a request.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly options: RateLimitOptions;
  private readonly refillPerMs: number;

  constructor(options: RateLimitOptions) {
    this.options = options;
    this.refillPerMs = options.limit / (options.windowSeconds * 1000);
  }

  /** Spends one token of the key, when it has one. */
  take(keyId: string): RateDecision {
    const now = Date.now();
    const bucket = this.buckets.get(keyId) ?? { tokens: this.options.limit, updatedAt: now };
    bucket.tokens = Math.min(this.options.limit, bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs);
    bucket.updatedAt = now;
    this.buckets.set(keyId, bucket);
    if (bucket.tokens < 1) {
      const retryAfter = Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000);
      const { limit, windowSeconds } = this.options;
      const error = new ApiError(
        "rate_limited",
        `too many requests for key ${keyId}: ${limit} per ${windowSeconds}s — retry in ${retryAfter}s`,
      );
      return { allowed: false, headers: { ...this.headers(keyId), "Retry-After": String(retryAfter) }, error };
    }
    bucket.tokens -= 1;
    return { allowed: true, headers: this.headers(keyId) };
  }

  /** The key's RateLimit-* headers as of now. */
  headers(keyId: string): Record<string, string> {
    const remaining = this.buckets.get(keyId)?.tokens ?? this.options.limit;
    return {
      "RateLimit-Limit": String(this.options.limit),
      "RateLimit-Remaining": String(Math.max(0, Math.floor(remaining))),
      "RateLimit-Reset": String(Math.ceil((this.options.limit - remaining) / this.refillPerMs / 1000)),
      "RateLimit-Policy": `${this.options.limit};w=${this.options.windowSeconds}`,
    };
  }
}

/**
 * Answers 429 `rate_limited` with Retry-After when the caller's key has no token left, and sends
 * RateLimit-* headers on every keyed response. The Unix socket (local admin) is not limited.
 *
 * @example api.use("/v1/*", rateLimit({ limit: 600, windowSeconds: 60 }))
 */
export function rateLimit(limiter: RateLimiter | RateLimitOptions) {
  const buckets = limiter instanceof RateLimiter ? limiter : new RateLimiter(limiter);
  return createMiddleware<ApiEnv>(async function limitRate(c, next) {
    const keyId = c.get("principal")?.keyId;
    // A dashboard page is charged once for the several reads that render it (dashboard/routes.ts).
    if (!keyId || c.env.uncharged) return next();
    const decision = buckets.take(keyId);
    if (!decision.allowed) return problemResponse(c, decision.error, decision.headers);
    await next();
    for (const [name, value] of Object.entries(buckets.headers(keyId))) c.res.headers.set(name, value);
  });
}
