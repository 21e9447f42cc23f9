import assert from "node:assert/strict";
import { test } from "node:test";
import type { AppSpec } from "@minicloud/shared";
import { prunedReleases, releaseRecord } from "./records.ts";

const spec = { name: "web", image: "web:1" } as AppSpec;
const releases = (versions: number[]) => versions.map((v) => releaseRecord(v, spec, "superseded", undefined, null));

test("release history keeps N releases: the active one and the newest others, in their order", () => {
  const kept = prunedReleases(releases([1, 2, 3, 4, 5, 6]), 6, 3);
  assert.deepEqual(
    kept.map((r) => r.version),
    [4, 5, 6],
  );
  // The active one may be older than the newest (failed releases after it): it is one of the N.
  assert.deepEqual(
    prunedReleases(releases([1, 2, 3, 4, 5, 6]), 2, 3).map((r) => r.version),
    [2, 5, 6],
  );
  assert.equal(prunedReleases(releases([1, 2]), 2, 3).length, 2);
});

test("release history also stops at the env budget: big envs keep fewer releases, the active one always stays", () => {
  const big = { name: "web", image: "web:1", env: { V: "x".repeat(200 * 1024) } } as unknown as AppSpec;
  const list = [1, 2, 3, 4].map((v) => releaseRecord(v, big, "superseded", undefined, null));
  assert.deepEqual(
    prunedReleases(list, 4, 20).map((r) => r.version),
    [3, 4],
  );
  assert.deepEqual(
    prunedReleases(list, 4, 20, 100).map((r) => r.version),
    [4],
  );
});
