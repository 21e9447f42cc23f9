import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalReference, checkImageReference, checkRegistryHost, parseImageReference } from "./image-rules.ts";

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
  for (const bad of [
    "l:",
    "n_",
    "30gfai@",
    "UPPER/case",
    "a//b",
    ":tag",
    "a:b:c",
    "a@sha256:short",
    `a@sha256:${"A".repeat(64)}`,
    `a@md5:${"0".repeat(32)}`,
    "a..b",
    "a b",
    `a/${"b".repeat(298)}`,
    "-lead",
    `x:${"t".repeat(129)}`,
  ])
    assert.ok(checkImageReference(bad), bad);
});

test("references split as the engine reads them", () => {
  assert.deepEqual(parseImageReference("busybox"), { registry: "docker.io", repository: "library/busybox", tag: "latest", digest: null });
  const digest = `sha256:${"1".repeat(64)}`;
  assert.deepEqual(parseImageReference(`127.0.0.1:5000/team/app@${digest}`), {
    registry: "127.0.0.1:5000",
    repository: "team/app",
    tag: null,
    digest,
  });
  assert.equal(canonicalReference(parseImageReference("docker.io/library/nginx:1")), "nginx:1");
  assert.equal(canonicalReference(parseImageReference("localhost:5000/a:2")), "localhost:5000/a:2");
  assert.equal(checkRegistryHost("127.0.0.1:5000"), undefined);
  assert.ok(checkRegistryHost("https://x"));
});
