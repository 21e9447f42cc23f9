import assert from "node:assert/strict";
import { test } from "node:test";
import type { AppSpec } from "@minicloud/shared";
import { resolveSpec, specChanges } from "./spec.ts";

const running: AppSpec = {
  name: "web",
  image: "web:1",
  port: 8080,
  protocol: "http",
  count: 3,
  memory: 512 * 1024 ** 2,
  cpus: 1,
  env: { A: "1", B: "2" },
  command: ["httpd", "-f"],
  healthPath: "/health",
  readOnlyRootfs: true,
};

test("a redeploy with only an image keeps every other setting of the running release", () => {
  const spec = resolveSpec({ name: "web", image: "web:2" }, running);
  assert.deepEqual(spec, { ...running, image: "web:2" });
  assert.deepEqual(specChanges(running, spec), [{ field: "image", from: "web:1", to: "web:2" }]);
});

test("env adds and replaces, unsetEnv removes; changes name keys, never values", () => {
  const spec = resolveSpec({ name: "web", env: { B: "secret-new", C: "3" }, unsetEnv: ["A"] }, running);
  assert.deepEqual(spec.env, { B: "secret-new", C: "3" });
  const changes = specChanges(running, spec);
  assert.deepEqual(changes, [
    { field: "env.A", from: "(set)", to: null },
    { field: "env.B", from: "(set)", to: "(changed)" },
    { field: "env.C", from: null, to: "(set)" },
  ]);
  assert.ok(!JSON.stringify(changes).includes("secret-new"));
});

test("reset starts from the defaults; a first deploy needs an image", () => {
  const spec = resolveSpec({ name: "web", image: "web:3", reset: true }, running);
  assert.equal(spec.count, 1);
  assert.equal(spec.memory, 256 * 1024 ** 2);
  assert.deepEqual(spec.env, {});
  assert.equal(spec.port, undefined);
  assert.throws(() => resolveSpec({ name: "web" }, undefined), /image: is required for the first deploy/);
});

test("a tcp app keeps its protocol (its port may come from the image's EXPOSE, checked by the deployer)", () => {
  assert.equal(resolveSpec({ name: "db", image: "pg", protocol: "tcp", port: 5432 }, undefined).protocol, "tcp");
  assert.equal(resolveSpec({ name: "db", image: "pg", protocol: "tcp" }, undefined).port, undefined);
});

test("releases recorded before protocols existed read as http", () => {
  const { protocol: _, ...old } = running;
  assert.equal(resolveSpec({ name: "web", count: 1 }, old).protocol, "http");
  assert.deepEqual(specChanges(old, resolveSpec({ name: "web", count: 1 }, old)), [{ field: "count", from: "3", to: "1" }]);
});

test("volumes are kept by a redeploy that does not name them, and an empty list detaches them", () => {
  const withVolume = resolveSpec({ name: "web", volumes: [{ name: "data", path: "/data" }] }, running);
  assert.deepEqual(resolveSpec({ name: "web", image: "web:2" }, withVolume).volumes, [{ name: "data", path: "/data" }]);
  assert.deepEqual(specChanges(running, withVolume), [{ field: "volumes", from: null, to: "data:/data" }]);
  assert.deepEqual(resolveSpec({ name: "web", volumes: [] }, withVolume).volumes, []);
});

test("secrets change by name only: added, changed (a new value version), removed; required names are kept", () => {
  const before = { ...running, secrets: { version: 2, values: { A: 1, B: 2 } } };
  const after = { ...running, secrets: { version: 5, values: { B: 5, C: 5 } } };
  assert.deepEqual(specChanges(before, after), [
    { field: "secret.A", from: "(set)", to: null },
    { field: "secret.B", from: "(set)", to: "(changed)" },
    { field: "secret.C", from: null, to: "(set)" },
  ]);
  assert.deepEqual(specChanges(before, { ...before, secrets: { version: 3, values: { A: 1, B: 2 } } }), [], "same values: no change");
  const required = resolveSpec({ name: "web", requiredSecrets: ["A"] }, before);
  assert.deepEqual(resolveSpec({ name: "web", image: "web:2" }, required).requiredSecrets, ["A"]);
  assert.deepEqual(resolveSpec({ name: "web" }, before).secrets, before.secrets, "the running set, until the deploy attaches the latest");
});

test("an env over the per-app cap is refused with its total and the limit, counting what earlier deploys set", () => {
  const big = "x".repeat(32_000);
  const first: Record<string, string> = {};
  for (let i = 0; i < 7; i++) first[`K${i}`] = big;
  const current = resolveSpec({ name: "web", image: "web:1", env: first }, undefined);
  assert.throws(
    () => resolveSpec({ name: "web", env: { K7: big, K8: big } }, current),
    (error: Error) => /environment would total 288018 bytes .*the limit is 256k/.test(error.message),
  );
  assert.equal(Object.keys(resolveSpec({ name: "web", env: { K7: big }, unsetEnv: ["K0"] }, current).env).length, 7);
});
