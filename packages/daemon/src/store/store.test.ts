import assert from "node:assert/strict";
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { DEFAULT_QUOTA, SPEC_DEFAULTS } from "@minicloud/shared";
import { readPersistedState } from "./journal.ts";
import type { AppRecord, State } from "./schema.ts";
import { Store } from "./store.ts";

async function withStore(run: (store: Store, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mc-store-"));
  try {
    await run(await Store.open(dir), dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What a daemon started now (after a kill -9 of this one) would find. */
const onDisk = async (dir: string) => (await readPersistedState(dir)) as unknown as State;

function tenant(name: string): State["tenants"][number] {
  return { name, createdAt: "now", quota: { ...DEFAULT_QUOTA } };
}

function app(tenantName: string, name: string, envBytes = 16): AppRecord {
  const spec = { ...SPEC_DEFAULTS, name, image: "minicloud/hello:latest", env: { VALUE: "x".repeat(envBytes) } };
  return {
    tenant: tenantName,
    name,
    spec,
    desired: "running",
    phase: "ready",
    instances: [],
    release: 1,
    releases: [],
    createdAt: "now",
    updatedAt: "now",
  };
}

/** The state as JSON, for comparing what is in memory with what is on disk. */
const plain = (state: unknown) => JSON.parse(JSON.stringify(state)) as unknown;

test("updates made at once apply in order, and each resolves only once its change is on disk", async () => {
  await withStore(async (store, dir) => {
    const names = Array.from({ length: 30 }, (_, i) => `t${i}`);
    const seen = await Promise.all(
      names.map((name, i) =>
        store
          .update((state) => {
            state.tenants.push({ name, createdAt: "now", quota: { ...DEFAULT_QUOTA } });
            return i;
          })
          .then(async (result) => ({ result, disk: (await onDisk(dir)).tenants.map((t) => t.name) })),
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
  await withStore(async (store, dir) => {
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
      (await onDisk(dir)).tenants.map((t) => t.name),
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

test("objects read before update() and changed inside it are written; a restart after kill -9 finds every change", async () => {
  await withStore(async (store, dir) => {
    await store.update((state) => {
      state.tenants.push(tenant("acme"));
      for (const name of ["web", "api", "worker"]) state.apps.push(app("acme", name));
    });
    // The pattern the services use: find a record, then change it inside an update.
    const web = store.state.apps.find((a) => a.name === "web");
    assert.ok(web);
    await store.update(() => {
      web.phase = "deploying";
      web.instances.push({ id: "i1", containerId: "c1", ip: null, release: 1, restarts: 0 });
      web.spec.env.ADDED = "yes";
      delete web.operation;
    });
    await store.update((state) => {
      state.apps = state.apps.filter((a) => a.name !== "api");
      const first = state.tenants[0];
      if (first) first.quota.maxApps = 7;
    });
    await store.update((state) => {
      const worker = state.apps.find((a) => a.name === "worker");
      if (worker) worker.name = "renamed";
      state.apps.push(app("acme", "api"));
    });
    assert.deepEqual(plain(await onDisk(dir)), plain(store.state));
    assert.deepEqual(
      (await onDisk(dir)).apps.map((a) => a.name),
      ["web", "renamed", "api"],
    );
    // A fresh store on the same files (as after kill -9) sees the same, and starts from the snapshot alone.
    const reopened = await Store.open(dir);
    assert.deepEqual(plain(reopened.state), plain(store.state));
    assert.equal((await stat(path.join(dir, "state.journal"))).size, 0);
  });
});

test("a write costs what it changed: the journal grows by the same bytes with 10 apps or 1,000", async () => {
  const grown: number[] = [];
  for (const count of [10, 1000]) {
    await withStore(async (store, dir) => {
      await store.update((state) => {
        state.tenants.push(tenant("acme"));
        for (let i = 0; i < count; i++) state.apps.push(app("acme", `app${i}`, 4096));
      });
      await store.close();
      const reopened = await Store.open(dir);
      const journal = path.join(dir, "state.journal");
      const before = (await stat(journal)).size;
      await reopened.update((state) => {
        const first = state.apps[0];
        if (first) first.updatedAt = "later";
      });
      grown.push((await stat(journal)).size - before);
      assert.equal((await onDisk(dir)).apps[0]?.updatedAt, "later");
    });
  }
  assert.ok((grown[0] ?? 0) > 0);
  assert.equal(grown[0], grown[1], `bytes appended for one change: ${grown.join(" vs ")}`);
});

test("a torn last line (a crash mid-append) is left out; a damaged line before it refuses to start", async () => {
  await withStore(async (store, dir) => {
    await store.update((state) => void state.tenants.push(tenant("kept")));
    const journal = path.join(dir, "state.journal");
    await appendFile(journal, '[["put","tenants","torn",{"name":"to');
    assert.deepEqual(
      (await onDisk(dir)).tenants.map((t) => t.name),
      ["kept"],
    );
    const text = await readFile(journal, "utf8");
    await writeFile(journal, `{broken\n${text}`);
    await assert.rejects(Store.open(dir), /state.journal: line 1 is damaged/);
  });
});

test("close folds the journal into state.json; keys that are not unique are journaled whole", async () => {
  await withStore(async (store, dir) => {
    await store.update((state) => {
      state.domains.push({ hostname: "a.example", tenant: "acme", app: "web", createdAt: "1" });
      state.domains.push({ hostname: "a.example", tenant: "acme", app: "api", createdAt: "2" });
    });
    assert.equal((await onDisk(dir)).domains.length, 2);
    await store.update((state) => {
      state.domains = state.domains.filter((d) => d.app === "web");
    });
    assert.deepEqual(plain((await onDisk(dir)).domains), plain(store.state.domains));
    await store.close();
    assert.equal((await stat(path.join(dir, "state.journal"))).size, 0);
    const snapshot = JSON.parse(await readFile(path.join(dir, "state.json"), "utf8")) as State;
    assert.deepEqual(plain(snapshot), plain(store.state));
  });
});

test("many random changes, then a restart: memory and disk agree", async () => {
  await withStore(async (store, dir) => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      await store.update((state) => {
        const pick = state.apps[random(Math.max(1, state.apps.length))];
        switch (random(6)) {
          case 0:
            state.apps.push(app(`t${random(3)}`, `a${round}`));
            break;
          case 1:
            if (pick) state.apps.splice(state.apps.indexOf(pick), 1);
            break;
          case 2:
            if (pick) pick.instances.push({ id: `i${round}`, containerId: "c", ip: null, release: 1, restarts: 0 });
            break;
          case 3:
            if (pick) pick.instances = pick.instances.filter((i) => i.id.endsWith("0"));
            break;
          case 4:
            if (pick) pick.spec = { ...pick.spec, count: random(5) };
            break;
          default:
            state.tenants.push(tenant(`t${round}`));
        }
      });
    }
    assert.deepEqual(plain(await onDisk(dir)), plain(store.state));
    const reopened = await Store.open(dir);
    assert.deepEqual(plain(reopened.state), plain(store.state));
  });
});

test("a change made through the caller's own reference to an object it put in: the audit finds and journals it; verify mode refuses it", async () => {
  await withStore(async (store, dir) => {
    const record = tenant("raw");
    await store.update((state) => void state.tenants.push(record));
    record.quota.maxApps = 99;
    assert.deepEqual(await store.audit(), ["tenants/raw"]);
    assert.equal((await onDisk(dir)).tenants[0]?.quota.maxApps, 99);
    assert.deepEqual(await store.audit(), [], "nothing left to find");
    await store.close();
    const verifying = await Store.open(dir, { verify: true });
    const held = tenant("held");
    await verifying.update((state) => void state.tenants.push(held));
    await assert.rejects(
      verifying.update(() => {
        held.createdAt = "changed behind the store's back";
      }),
      /untracked state change: tenants\/held/,
    );
    // Through the state it is seen: no complaint.
    await verifying.update((state) => {
      const found = state.tenants.find((t) => t.name === "held");
      if (found) found.createdAt = "seen";
    });
    assert.equal((await onDisk(dir)).tenants.find((t) => t.name === "held")?.createdAt, "seen");
  });
});
