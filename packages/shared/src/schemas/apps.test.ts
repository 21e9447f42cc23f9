import assert from "node:assert/strict";
import { test } from "node:test";
import { describeIssues } from "../errors.ts";
import { appNameSchema, checkAppName, checkName } from "../names.ts";
import { deployRequestSchema, SPEC_DEFAULTS } from "./apps.ts";

test("names are DNS labels", () => {
  for (const good of ["a", "web", "a-b", "a1", "x".repeat(32)]) assert.equal(checkName(good), undefined, good);
  for (const bad of ["A", "a.b", "a/b", "a_b", "-a", "a-", "1a", "x".repeat(33), ""]) assert.ok(checkName(bad), bad);
});

test("a deploy request carries only what it changes: no defaults are filled in (the daemon keeps the running release's)", () => {
  const change = deployRequestSchema.parse({ name: "web", image: "minicloud/hello:latest", memory: "512m" });
  assert.deepEqual(change, { name: "web", image: "minicloud/hello:latest", memory: 512 * 1024 ** 2 });
  assert.equal(SPEC_DEFAULTS.memory, 256 * 1024 ** 2);
  assert.equal(SPEC_DEFAULTS.cpus, 0.5);
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

test("errors are in plain words: the field and the rule, never zod's parser wording", () => {
  const result = deployRequestSchema.safeParse({ name: "web", count: Number.NaN, port: 0, cpus: "x", Privileged: true });
  assert.equal(result.success, false);
  const { message } = describeIssues(result.error);
  assert.match(message, /count: must be a number/);
  assert.match(message, /port: must be at least 1/);
  assert.match(message, /cpus: must be a decimal number of CPUs/);
  assert.match(message, /request: unknown setting "Privileged"/);
  assert.doesNotMatch(message, /received|Invalid input|\(body\)/);
});
