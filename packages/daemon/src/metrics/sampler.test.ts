import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import pino from "pino";
import type { RuntimeInstance } from "../runtime/runtime.ts";
import type { AppRecord } from "../store/schema.ts";
import type { ContainerCounters, CounterSource } from "./counters.ts";
import { exposition } from "./exposition.ts";
import { MetricsHistory, POINT_FIELDS } from "./history.ts";
import { Sampler } from "./sampler.ts";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

const record = {
  tenant: "acme",
  name: "web",
  spec: {},
  instances: [{ id: "i1", containerId: "c1", restarts: 2 }],
} as unknown as AppRecord;

/** Counters a test sets by hand; the sampler's rates are then plain arithmetic. */
function source(): CounterSource & { now: ContainerCounters } {
  const state = {
    layout: "test",
    now: { cpuSeconds: 10, memoryWorkingSetBytes: 1000, memoryLimitBytes: 4000, pids: 3, networkRxBytes: 100, networkTxBytes: 50 },
    read: async () => ({ ...state.now }),
  };
  return state;
}

test("CPU and network are rates between two samples; a restarted container's smaller counters start a new count", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mc-sampler-"));
  dirs.push(dir);
  const history = await MetricsHistory.open(dir);
  const counters = source();
  const running = { state: "running", pid: 42, startedAt: new Date(Date.now() - 100_000).toISOString() } as RuntimeInstance;
  const sampler = new Sampler({
    apps: () => [record],
    observe: async () => running,
    counters,
    history,
    intervalMs: 60_000,
    logger: pino({ level: "silent" }),
  });
  t.mock.timers.enable({ apis: ["Date"], now: Date.now() });
  await sampler.pass();
  const first = sampler.latest("c1");
  // Its first sample: 10 CPU seconds over the 100 s since it started.
  assert.equal(first?.cpuPercent, 10);
  t.mock.timers.tick(10_000);
  counters.now = { ...counters.now, cpuSeconds: 15, networkRxBytes: 1100, networkTxBytes: 50 };
  await sampler.pass();
  const second = sampler.latest("c1");
  assert.equal(second?.cpuPercent, 50, "5 CPU seconds in 10 s");
  assert.equal(second?.rxBytesPerSecond, 100);
  assert.equal(second?.txBytesPerSecond, 0);
  t.mock.timers.tick(10_000);
  counters.now = { ...counters.now, cpuSeconds: 1 };
  await sampler.pass();
  assert.ok((sampler.latest("c1")?.cpuPercent ?? -1) >= 0, "never negative after a restart");

  const point = history.latest("acme/web");
  const value = (field: (typeof POINT_FIELDS)[number]) => point?.v[POINT_FIELDS.indexOf(field)];
  assert.equal(value("memoryBytes"), 1000);
  assert.equal(value("memoryLimitBytes"), 4000);
  assert.equal(value("restarts"), 2);
  assert.equal(value("instances"), 1);
  assert.equal(value("requestsPerSecond"), null, "no ingress feed: null, not 0");

  const text = exposition(sampler.samples("acme"));
  assert.match(text, /^container_cpu_usage_seconds_total\{tenant="acme",app="web",instance_id="i1"\} 1$/m);
  assert.match(text, /^container_spec_memory_limit_bytes\{tenant="acme",app="web",instance_id="i1"\} 4000$/m);
  assert.match(text, /^# TYPE container_network_receive_bytes_total counter$/m);
  assert.equal(exposition(sampler.samples("other")).includes('app="web"'), false, "another tenant's exposition leaves it out");
  await sampler.stop();
});
