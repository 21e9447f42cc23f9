import assert from "node:assert/strict";
import { test } from "node:test";
import { Coalescer } from "./coalescer.ts";

test("a burst of calls while one run is in flight costs one more run, and every caller waits for a run that began after it", async () => {
  let runs = 0;
  let release: () => void = () => undefined;
  const coalescer = new Coalescer(async () => {
    runs++;
    if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
  });
  const first = coalescer.run();
  const burst = [coalescer.run(), coalescer.run(), coalescer.run()];
  assert.equal(runs, 1);
  release();
  await Promise.all([first, ...burst]);
  assert.equal(runs, 2);
  await coalescer.run();
  assert.equal(runs, 3);
});

test("a failed run rejects its callers but does not block the next one", async () => {
  let fail = true;
  const coalescer = new Coalescer(async () => {
    if (fail) throw new Error("boom");
  });
  await assert.rejects(coalescer.run(), /boom/);
  fail = false;
  await coalescer.run();
});
