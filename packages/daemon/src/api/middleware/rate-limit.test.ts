import assert from "node:assert/strict";
import { test } from "node:test";
import { RateLimiter } from "./rate-limit.ts";

test("a key spends its tokens, then is refused with when to retry; keys do not share", () => {
  const limiter = new RateLimiter({ limit: 3, windowSeconds: 60 });
  for (let i = 0; i < 3; i++) assert.equal(limiter.take("a").allowed, true);
  const refused = limiter.take("a");
  assert.equal(refused.allowed, false);
  assert.ok(!refused.allowed && refused.error.code === "rate_limited");
  assert.ok(Number(refused.headers["Retry-After"]) > 0);
  assert.equal(refused.headers["RateLimit-Remaining"], "0");
  assert.equal(limiter.take("b").allowed, true, "another key has its own bucket");
  assert.equal(limiter.headers("b")["RateLimit-Remaining"], "2");
});
