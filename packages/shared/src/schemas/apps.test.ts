import assert from "node:assert/strict";
import { test } from "node:test";
import { appNameSchema, checkAppName, checkName } from "../names.ts";
import { deployRequestSchema } from "./apps.ts";

test("names are DNS labels", () => {
  for (const good of ["a", "web", "a-b", "a1", "x".repeat(32)]) assert.equal(checkName(good), undefined, good);
  for (const bad of ["A", "a.b", "a/b", "a_b", "-a", "a-", "1a", "x".repeat(33), ""]) assert.ok(checkName(bad), bad);
});

test("deploy requests get defaults and keep only known fields", () => {
  const spec = deployRequestSchema.parse({ name: "web", image: "minicloud/hello:latest", port: 8080 });
  assert.equal(spec.count, 1);
  assert.equal(spec.memory, 256 * 1024 ** 2);
  assert.equal(spec.cpus, 0.5);
  assert.equal(spec.readOnlyRootfs, true);
  assert.equal(spec.healthPath, "/");
});

test("raw Docker options are rejected, never passed through", () => {
  for (const smuggled of [
    { Privileged: true },
    { HostConfig: { Binds: ["/:/host"] } },
    { NetworkMode: "host" },
    { CapAdd: ["SYS_ADMIN"] },
  ]) {
    const result = deployRequestSchema.safeParse({ name: "web", image: "x", ...smuggled });
    assert.equal(result.success, false, JSON.stringify(smuggled));
  }
});

test("env names, ports and counts are checked", () => {
  const base = { name: "web", image: "x" };
  assert.equal(deployRequestSchema.safeParse({ ...base, env: { "1BAD": "x" } }).success, false);
  assert.equal(deployRequestSchema.safeParse({ ...base, port: 70000 }).success, false);
  assert.equal(deployRequestSchema.safeParse({ ...base, count: -1 }).success, false);
  assert.equal(deployRequestSchema.safeParse({ ...base, count: 1.5 }).success, false);
});

test("app names: the label rule and the platform's reserved names, without zod", () => {
  assert.equal(checkAppName("web"), undefined);
  assert.match(checkAppName("dashboard") ?? "", /reserved/);
  assert.match(checkAppName("Web") ?? "", /lowercase/);
  assert.equal(appNameSchema.safeParse("dashboard").success, false, "the schema says the same");
});
