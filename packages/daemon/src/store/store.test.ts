import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { DEFAULT_QUOTA } from "@minicloud/shared";
import { Store } from "./store.ts";

async function withStore(run: (store: Store, file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mc-store-"));
  try {
    await run(await Store.open(dir), path.join(dir, "state.json"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const onDisk = async (file: string) => JSON.parse(await readFile(file, "utf8")) as { tenants: { name: string }[] };

test("updates made at once apply in order, and each resolves only once its change is on disk", async () => {
  await withStore(async (store, file) => {
    const names = Array.from({ length: 30 }, (_, i) => `t${i}`);
    const seen = await Promise.all(
      names.map((name, i) =>
        store
          .update((state) => {
            state.tenants.push({ name, createdAt: "now", quota: { ...DEFAULT_QUOTA } });
            return i;
          })
          .then(async (result) => ({ result, disk: (await onDisk(file)).tenants.map((t) => t.name) })),
      ),
    );
    for (const [i, { result, disk }] of seen.entries()) {
      assert.equal(result, i);
      assert.ok(disk.includes(`t${i}`), `t${i} is on disk when its update resolves`);
    }
    assert.deepEqual(
      store.state.tenants.map((t) => t.name),
      names,
    );
    assert.equal(store.revision, 30);
  });
});

test("a change that throws rejects its own update only; the ones around it are written", async () => {
  await withStore(async (store, file) => {
    const results = await Promise.allSettled([
      store.update((state) => void state.tenants.push({ name: "a", createdAt: "now", quota: { ...DEFAULT_QUOTA } })),
      store.update(() => {
        throw new Error("refused");
      }),
      store.update((state) => void state.tenants.push({ name: "b", createdAt: "now", quota: { ...DEFAULT_QUOTA } })),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.deepEqual(
      (await onDisk(file)).tenants.map((t) => t.name),
      ["a", "b"],
    );
  });
});

test("a change never runs inside the update() call that queues it", async () => {
  await withStore(async (store) => {
    let ran = false;
    const done = store.update(() => {
      ran = true;
    });
    assert.equal(ran, false);
    await done;
    assert.equal(ran, true);
  });
});
