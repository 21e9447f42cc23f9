import assert from "node:assert/strict";
import { test } from "node:test";
import { checkImageReference } from "./image-rules.ts";

test("image references follow the engine's grammar", () => {
  for (const good of [
    "minicloud/hello:latest",
    "busybox",
    "localhost:5000/team/app:1.2",
    "registry.example.com/a_b/c__d/e-f--g:v1.0-rc.1",
    `app@sha256:${"a".repeat(64)}`,
    `team/app:1@sha256:${"0".repeat(64)}`,
  ])
    assert.equal(checkImageReference(good), undefined, good);
  // Found by fuzzing: each made the engine fail with a 500 before.
  for (const bad of ["l:", "n_", "30gfai@", "UPPER/case", "a//b", ":tag", "a:b:c", "a@sha256:short", "-lead", `x:${"t".repeat(129)}`])
    assert.ok(checkImageReference(bad), bad);
});
