import assert from "node:assert/strict";
import { test } from "node:test";
import { InspectCache } from "./inspect-cache.ts";
import type { Runtime, RuntimeInstance } from "./runtime.ts";

function countingRuntime() {
  const calls: string[] = [];
  const runtime = {
    inspectInstance: async (id: string) => {
      calls.push(id);
      return { containerId: id, state: "running" } as RuntimeInstance;
    },
  } as unknown as Runtime;
  return { runtime, calls };
}

test("repeated looks are served from memory until invalidated", async () => {
  const { runtime, calls } = countingRuntime();
  const cache = new InspectCache(runtime, 60_000);
  await cache.get("a");
  await cache.get("a");
  await Promise.all([cache.get("b"), cache.get("b")]);
  assert.deepEqual(calls, ["a", "b"], "concurrent looks share one engine call");
  cache.invalidate("a");
  await cache.get("a");
  cache.clear();
  await cache.get("b");
  assert.deepEqual(calls, ["a", "b", "a", "b"]);
});

test("entries expire after the TTL", async () => {
  const { runtime, calls } = countingRuntime();
  const cache = new InspectCache(runtime, 0);
  await cache.get("a");
  await cache.get("a");
  assert.equal(calls.length, 2);
});

test("the revision moves with every change to what the cache may answer, and only then", async () => {
  const { runtime } = countingRuntime();
  const cache = new InspectCache(runtime, 60_000);
  const start = cache.revision;
  await cache.get("a");
  const afterLook = cache.revision;
  assert.ok(afterLook > start, "a new answer may differ from the last one");
  await cache.get("a");
  assert.equal(cache.revision, afterLook, "a cached answer changes nothing");
  cache.invalidate("a");
  assert.ok(cache.revision > afterLook, "an engine event about a container");
  const beforeClear = cache.revision;
  cache.clear();
  assert.ok(cache.revision > beforeClear);
});
