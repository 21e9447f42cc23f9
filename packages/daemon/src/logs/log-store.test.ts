import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import pino from "pino";
import { compileGrep } from "./grep.ts";
import { decodeLine, encodeLine } from "./line-format.ts";
import { LogStore } from "./log-store.ts";
import { type LogQuery, readStored } from "./reader.ts";

const logger = pino({ level: "silent" });

async function withStore(bytesPerTenant: number, run: (store: LogStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "log-store-"));
  try {
    await run(await LogStore.open({ dir, bytesPerTenant, logger }), dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ts = (second: number, nanos = 0) => `2026-01-01T00:00:${String(second).padStart(2, "0")}.${String(nanos).padStart(9, "0")}Z`;

async function read(store: LogStore, query: LogQuery): Promise<{ instance: string; line: string; release: number }[]> {
  let text = "";
  for await (const chunk of readStored(store.segments("t", "a", query.sinceMs), query)) text += chunk;
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

test("a stored line round-trips, tabs in its text included", () => {
  const line = { ts: ts(1), instance: "abc", stream: "stderr" as const, release: 3, line: "a\tb c" };
  assert.deepEqual(decodeLine(encodeLine(line).trimEnd()), line);
  assert.equal(decodeLine("cut short"), undefined);
});

test("reads merge instances in time order and narrow by tail per instance, since, release, instance and grep", async () => {
  await withStore(1024 ** 3, async (store) => {
    // Written in two batches whose times interleave: a read puts them back in order.
    for (let i = 0; i < 10; i += 2) store.append("t", "a", { ts: ts(i), instance: "one", stream: "stdout", release: 1, line: `one-${i}` });
    await store.flush("t", "a");
    for (let i = 1; i < 10; i += 2) store.append("t", "a", { ts: ts(i), instance: "two", stream: "stdout", release: 2, line: `two-${i}` });
    await store.flush("t", "a");
    const all = await read(store, {});
    assert.deepEqual(
      all.map((l) => l.line),
      ["one-0", "two-1", "one-2", "two-3", "one-4", "two-5", "one-6", "two-7", "one-8", "two-9"],
    );
    assert.deepEqual(
      (await read(store, { tail: 1 })).map((l) => l.line),
      ["one-8", "two-9"],
    );
    assert.deepEqual(
      (await read(store, { tail: 5 })).map((l) => l.line),
      all.map((l) => l.line),
      "a merge by instance gives the same order",
    );
    assert.deepEqual(
      (await read(store, { sinceMs: Date.parse(ts(7)) })).map((l) => l.line),
      ["two-7", "one-8", "two-9"],
    );
    assert.ok((await read(store, { release: 2 })).every((l) => l.release === 2 && l.instance === "two"));
    assert.ok((await read(store, { instance: "one" })).every((l) => l.instance === "one"));
    assert.deepEqual(
      (await read(store, { grep: compileGrep("^two-[37]$") })).map((l) => l.line),
      ["two-3", "two-7"],
    );
    assert.ok(compileGrep("two-[37]$").chunk, "an unanchored pattern searches chunks first");
    assert.deepEqual(
      (await read(store, { grep: compileGrep("two-[37]$") })).map((l) => l.line),
      ["two-3", "two-7"],
    );
    assert.equal(compileGrep("^two").chunk, undefined, "^ would see a stored line's start");
    assert.deepEqual(
      (await read(store, { grep: compileGrep("^one-0") })).map((l) => l.line),
      ["one-0"],
    );
    assert.equal(await store.cursor("t", "a", "two"), ts(9));
  });
});

test("past the tenant's cap the oldest segments of its largest app go; another app keeps its lines", async () => {
  await withStore(1024 * 1024, async (store, dir) => {
    store.append("t", "quiet", { ts: ts(0), instance: "q", stream: "stdout", release: 1, line: "quiet line" });
    await store.flush("t", "quiet");
    const text = "x".repeat(1000);
    for (let batch = 0; batch < 40; batch++) {
      for (let i = 0; i < 100; i++)
        store.append("t", "a", { ts: ts(1 + (batch % 50), i), instance: "one", stream: "stdout", release: 1, line: text });
      await store.flush("t", "a");
    }
    assert.ok(store.bytesOf("t") <= 1024 * 1024 + 200 * 1024, `${store.bytesOf("t")} bytes kept`);
    assert.equal((await readdir(path.join(dir, "t", "quiet"))).filter((f) => f.endsWith(".log")).length, 1);
  });
});

test("an invalid --grep is refused, naming the flag", () => {
  assert.throws(() => compileGrep("(unclosed"), /--grep is not a valid regular expression/);
  assert.throws(() => compileGrep("(?<=x)y"), /--grep/);
  assert.ok(compileGrep("(a+)+$")("a".repeat(100_000)));
});
