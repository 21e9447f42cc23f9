/**
 * State rows of `npm run bench` (alone: `BENCH_ONLY=state`): what one small state write costs
 * with 1,000 apps in state, against the same write with 10 apps (issue 12, item 6: a write must
 * cost the same however many apps there are). Each app has 20 releases of a 1 KiB env, as a busy
 * host would; the write changes one field of one app, like an instance's state does.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SPEC_DEFAULTS } from "@minicloud/shared";
import type { AppRecord } from "../packages/daemon/src/store/schema.ts";
import { Store } from "../packages/daemon/src/store/store.ts";
import { timeIt } from "./stats.ts";
import type { Record } from "./storage.ts";

const RELEASES = 20;
const ENV_BYTES = 1024;
const WRITES = 200;

function app(i: number): AppRecord {
  const spec = { ...SPEC_DEFAULTS, name: `app${i}`, image: "minicloud/hello:latest", env: { VALUE: "x".repeat(ENV_BYTES) } };
  const releases = Array.from({ length: RELEASES }, (_, v) => ({
    version: v + 1,
    spec,
    status: v + 1 === RELEASES ? ("active" as const) : ("superseded" as const),
    rollbackOf: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    reason: null,
  }));
  const now = new Date().toISOString();
  return {
    tenant: "acme",
    name: spec.name,
    spec,
    desired: "running",
    phase: "ready",
    instances: [],
    release: RELEASES,
    releases,
    createdAt: now,
    updatedAt: now,
  };
}

/** Milliseconds of each of WRITES one-field updates on a store holding `apps` apps. */
async function writes(apps: number): Promise<number[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mc-bench-state-"));
  try {
    const store = await Store.open(dir);
    await store.update((state) => {
      for (let i = 0; i < apps; i++) state.apps.push(app(i));
    });
    const samples: number[] = [];
    for (let i = 0; i < WRITES; i++) {
      samples.push(
        await timeIt(() =>
          store.update((state) => {
            const one = state.apps[i % apps];
            if (one) one.updatedAt = new Date().toISOString();
          }),
        ),
      );
    }
    await store.close();
    return samples;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchState(record: Record): Promise<void> {
  const small = await writes(10);
  const large = await writes(1000);
  record("state write, 1,000 apps (20 releases × 1 KiB env each)", "ms", "ratio ≤ 1.5 (as with 10 apps)", large, {
    name: "the same write, 10 apps",
    samples: small,
  });
}
