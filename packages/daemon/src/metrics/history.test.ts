import assert from "node:assert/strict";
import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { MetricsHistory, POINT_FIELDS } from "./history.ts";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mc-history-"));
  dirs.push(dir);
  return dir;
}

const values = (cpu: number) => POINT_FIELDS.map((field) => (field === "cpuPercent" ? cpu : null));
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

test("every sample is read back from the raw tier, 1-minute averages once a minute is over", async () => {
  const history = await MetricsHistory.open(await tempDir(), T0);
  for (let s = 0; s < 90; s += 10) history.record("acme/web", T0 + s * 1000, values(s));
  const raw = history.read("acme/web", T0, T0 + 90_000);
  assert.equal(raw.tier.name, "raw");
  assert.deepEqual(
    raw.points.map((p) => p.v[0]),
    [0, 10, 20, 30, 40, 50, 60, 70, 80],
  );
  const day = history.read("acme/web", T0 + 90_000 - 6 * 3600_000, T0 + 90_000);
  assert.equal(day.tier.name, "1m");
  assert.deepEqual(
    day.points.map((p) => [p.t, p.v[0]]),
    [[T0, 25]],
  );
  assert.equal(history.read("acme/web", T0 - 7 * 86400_000, T0).tier.name, "10m");
});

test("what was flushed survives a reopen, also with a line torn by a kill", async () => {
  const dir = await tempDir();
  const history = await MetricsHistory.open(dir, T0);
  for (let s = 0; s < 130; s += 10) history.record("acme/web", T0 + s * 1000, values(s));
  await history.flush();
  await appendFile(path.join(dir, "metrics", "raw.ndjson"), '{"k":"acme/web","t":');
  const reopened = await MetricsHistory.open(dir, T0 + 130_000);
  assert.equal(reopened.read("acme/web", T0, T0 + 130_000).points.length, 13);
  // The minute open at the kill (T0+120 s) is open again: its next sample joins it, not a second average.
  reopened.record("acme/web", T0 + 130_000, values(130));
  reopened.record("acme/web", T0 + 180_000, values(180));
  const minutes = reopened.read("acme/web", T0 - 3600_000 * 2, T0 + 180_000).points;
  assert.deepEqual(
    minutes.map((p) => [(p.t - T0) / 1000, p.v[0]]),
    [
      [0, 25],
      [60, 85],
      [120, 125],
    ],
  );
  // The torn line is gone after the open's compaction.
  const text = await readFile(path.join(dir, "metrics", "raw.ndjson"), "utf8");
  assert.ok(text.endsWith("\n") && !text.includes('"t":\n'));
});

test("a forgotten app's series is gone, also after a reopen", async () => {
  const dir = await tempDir();
  const history = await MetricsHistory.open(dir, T0);
  history.record("acme/web", T0, values(1));
  history.record("acme/api", T0, values(2));
  await history.flush();
  history.record("acme/web", T0 + 10_000, values(3));
  await history.forget("acme/web");
  await history.flush();
  assert.equal(history.read("acme/web", T0, T0 + 10_000).points.length, 0);
  const reopened = await MetricsHistory.open(dir, T0 + 20_000);
  assert.equal(reopened.read("acme/web", T0, T0 + 20_000).points.length, 0);
  assert.equal(reopened.read("acme/api", T0, T0 + 20_000).points.length, 1);
});
