/**
 * Measures what one state write costs with 10 and 1,000 apps (issue 12, item 6): lowdb rewrites
 * state.json whole, so the cost follows the file's size. Run by hand, not in the suite:
 *   node packages/daemon/src/store/write-cost.ts [envBytesPerRelease]
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SPEC_DEFAULTS } from "@minicloud/shared";
import { releaseRecord } from "../apps/records.ts";
import type { AppRecord } from "./schema.ts";
import { Store } from "./store.ts";

const envBytes = Number(process.argv[2] ?? 1024);
const RELEASES = 20;
const WRITES = 20;
const BURST = 50;

function app(i: number): AppRecord {
  const spec = { ...SPEC_DEFAULTS, name: `app${i}`, image: "minicloud/hello:latest", env: { VALUE: "x".repeat(envBytes) } };
  const now = new Date().toISOString();
  const releases = Array.from({ length: RELEASES }, (_, v) =>
    releaseRecord(v + 1, spec, v + 1 === RELEASES ? "active" : "superseded", undefined, null),
  );
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

for (const apps of [10, 1000]) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mc-write-cost-"));
  try {
    const store = await Store.open(dir);
    await store.update((state) => {
      for (let i = 0; i < apps; i++) state.apps.push(app(i));
    });
    const started = process.hrtime.bigint();
    // A change as small as they come: one app's timestamp.
    for (let i = 0; i < WRITES; i++) {
      await store.update((state) => {
        const first = state.apps[0];
        if (first) first.updatedAt = new Date().toISOString();
      });
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6 / WRITES;
    const bytes = (await stat(path.join(dir, "state.json"))).size;
    // A burst: BURST updates at once (other tenants' deploys, say), then one more behind them.
    const burstStarted = process.hrtime.bigint();
    const burst = Array.from({ length: BURST }, (_, i) =>
      store.update((state) => {
        const one = state.apps[i % state.apps.length];
        if (one) one.updatedAt = new Date().toISOString();
      }),
    );
    const lastStarted = process.hrtime.bigint();
    await store.update(() => undefined);
    const lastMs = Number(process.hrtime.bigint() - lastStarted) / 1e6;
    await Promise.all(burst);
    const burstMs = Number(process.hrtime.bigint() - burstStarted) / 1e6;
    console.log(
      `${apps} apps × ${RELEASES} releases × ${envBytes} B env: state.json ${(bytes / 1024 ** 2).toFixed(1)} MiB, one write ${ms.toFixed(1)} ms; ${BURST} updates at once ${burstMs.toFixed(0)} ms, one update behind them ${lastMs.toFixed(0)} ms`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
