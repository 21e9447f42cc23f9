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

/**
 * Token bucket per API key: `limit` requests per `windowSeconds`, refilled continuously. Answers
 * 429 `rate_limited` with Retry-After, and sends RateLimit-* headers on every keyed response.
 * The Unix socket (local admin) is not limited.
 *
 * @example api.use("/v1/*", rateLimit({ limit: 600, windowSeconds: 60 }))
 */
export function rateLimit(options: RateLimitOptions) {
  const buckets = new Map<string, Bucket>();
  const refillPerMs = options.limit / (options.windowSeconds * 1000);
  return createMiddleware<ApiEnv>(async function limitRate(c, next) {
    const keyId = c.get("principal")?.keyId;
    if (!keyId) return next();
    const now = Date.now();
    const bucket = buckets.get(keyId) ?? { tokens: options.limit, updatedAt: now };
    bucket.tokens = Math.min(options.limit, bucket.tokens + (now - bucket.updatedAt) * refillPerMs);
    bucket.updatedAt = now;
    buckets.set(keyId, bucket);
    const headers = (remaining: number) => ({
      "RateLimit-Limit": String(options.limit),
      "RateLimit-Remaining": String(Math.max(0, Math.floor(remaining))),
      "RateLimit-Reset": String(Math.ceil((options.limit - remaining) / refillPerMs / 1000)),
      "RateLimit-Policy": `${options.limit};w=${options.windowSeconds}`,
    });
    if (bucket.tokens < 1) {
      const retryAfter = Math.ceil((1 - bucket.tokens) / refillPerMs / 1000);
      const error = new ApiError(
        "rate_limited",
        `too many requests for key ${keyId}: ${options.limit} per ${options.windowSeconds}s — retry in ${retryAfter}s`,
      );
      return problemResponse(c, error, { ...headers(bucket.tokens), "Retry-After": String(retryAfter) });
    }
    bucket.tokens -= 1;
    await next();
    for (const [name, value] of Object.entries(headers(bucket.tokens))) c.res.headers.set(name, value);
  });
}
