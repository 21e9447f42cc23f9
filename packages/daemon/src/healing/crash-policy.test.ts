import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffMs, isCrashLoop, DEFAULT_CRASH_POLICY as policy, recentCrashes } from "./crash-policy.ts";

test("backoff doubles with each recent crash and is capped", () => {
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => backoffMs(n, policy)),
    [500, 1000, 2000, 4000],
  );
  assert.equal(backoffMs(20, policy), policy.maxBackoffMs);
});

test("only crashes inside the window count, and three of them are a loop", () => {
  const now = 1_000_000;
  const times = [now - policy.windowMs - 1, now - 1000, now - 500];
  assert.deepEqual(recentCrashes(times, now, policy), [now - 1000, now - 500]);
  assert.equal(isCrashLoop(2, policy), false);
  assert.equal(isCrashLoop(3, policy), true);
});
