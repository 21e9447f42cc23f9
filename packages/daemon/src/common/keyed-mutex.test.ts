import assert from "node:assert/strict";
import { test } from "node:test";
import { KeyedMutex } from "./keyed-mutex.ts";

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("work on one key runs one at a time, in order, even after a failure", async () => {
  const mutex = new KeyedMutex();
  const events: string[] = [];
  const job = (name: string, fail = false) =>
    mutex.run("t", async () => {
      events.push(`start ${name}`);
      await tick();
      events.push(`end ${name}`);
      if (fail) throw new Error(name);
    });
  await Promise.allSettled([job("a"), job("b", true), job("c")]);
  assert.deepEqual(events, ["start a", "end a", "start b", "end b", "start c", "end c"]);
});

test("different keys proceed in parallel", async () => {
  const mutex = new KeyedMutex();
  const events: string[] = [];
  await Promise.all(
    ["x", "y"].map((key) =>
      mutex.run(key, async () => {
        events.push(`start ${key}`);
        await tick();
        events.push(`end ${key}`);
      }),
    ),
  );
  assert.deepEqual(events.slice(0, 2), ["start x", "start y"]);
});
