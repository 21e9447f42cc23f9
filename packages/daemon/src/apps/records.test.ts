import assert from "node:assert/strict";
import { test } from "node:test";
import type { AppSpec } from "@minicloud/shared";
import { prunedReleases, releaseRecord } from "./records.ts";

const spec = { name: "web", image: "web:1" } as AppSpec;
const releases = (versions: number[]) => versions.map((v) => releaseRecord(v, spec, "superseded", undefined, null));

test("release history keeps the newest N and the active release, in their order", () => {
  const kept = prunedReleases(releases([1, 2, 3, 4, 5, 6]), 6, 3);
  assert.deepEqual(
    kept.map((r) => r.version),
    [4, 5, 6],
  );
  // After a rollback to an old release the active one may be older than the newest N.
  assert.deepEqual(
    prunedReleases(releases([1, 2, 3, 4, 5, 6]), 2, 3).map((r) => r.version),
    [2, 4, 5, 6],
  );
  assert.equal(prunedReleases(releases([1, 2]), 2, 3).length, 2);
});
