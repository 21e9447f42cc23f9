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

test("an expired answer is served while a new one is looked up, then replaced by it", async () => {
  let state = "running";
  const calls: string[] = [];
  const runtime = {
    inspectInstance: async (id: string) => {
      calls.push(id);
      return { containerId: id, state } as RuntimeInstance;
    },
  } as unknown as Runtime;
  const cache = new InspectCache(runtime, 0);
  assert.equal((await cache.get("a"))?.state, "running");
  state = "exited";
  assert.equal((await cache.get("a"))?.state, "running", "the last answer, without waiting for the engine");
  const before = cache.revision;
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(cache.revision > before, "a different answer moves the revision");
  assert.equal((await cache.get("a"))?.state, "exited", "the background look has landed");
  assert.equal(calls.length, 3);
});

test("a background look that an engine event overtook is dropped", async () => {
  let release: (value: RuntimeInstance) => void = () => undefined;
  let calls = 0;
  const runtime = {
    inspectInstance: (id: string) => {
      calls++;
      if (calls === 2) return new Promise<RuntimeInstance>((resolve) => (release = resolve));
      return Promise.resolve({ containerId: id, state: calls === 1 ? "running" : "exited" } as RuntimeInstance);
    },
  } as unknown as Runtime;
  const cache = new InspectCache(runtime, 0);
  await cache.get("a"); // look 1
  void cache.get("a"); // expired: look 2 starts in the background
  cache.invalidate("a"); // an event: look 2 may predate it
  assert.equal((await cache.get("a"))?.state, "exited", "look 3");
  release({ containerId: "a", state: "running" } as RuntimeInstance);
  await new Promise((resolve) => setImmediate(resolve));
  const after = await cache.get("a"); // serves look 3's answer (and starts look 4 in the background)
  assert.equal(after?.state, "exited", "the overtaken answer did not replace the newer one");
});

test("a background look that confirms the last answer leaves the revision alone", async () => {
  const { runtime } = countingRuntime();
  const cache = new InspectCache(runtime, 0);
  await cache.get("a");
  const settled = cache.revision;
  await cache.get("a"); // expired: looked up again in the background, same answer
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(cache.revision, settled);
});

test("peek serves an expired answer without looking again, and looks only when there is none", async () => {
  const { runtime, calls } = countingRuntime();
  const cache = new InspectCache(runtime, 0);
  await cache.peek("a");
  await cache.peek("a");
  assert.deepEqual(calls, ["a"]);
  cache.invalidate("a");
  await cache.peek("a");
  assert.deepEqual(calls, ["a", "a"], "an event's invalidation still makes it look");
});
