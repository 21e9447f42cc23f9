import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_QUOTA } from "@minicloud/shared";
import { assertWithinQuota, NOTHING } from "./usage.ts";

const limits = { ...DEFAULT_QUOTA, maxInstances: 3 };
const apps = (instances: number) => ({ instances, cpus: instances * 0.5, memory: instances * 256 * 1024 ** 2, storage: 0 });

test("scaling past the limit names what the app holds, what it would hold, the others and the limit", () => {
  assert.throws(
    () => assertWithinQuota("acme", limits, apps(1), { app: "web", current: apps(1), next: apps(5) }),
    (error: Error) =>
      /instances in tenant acme: web would hold 5 \(it holds 1\), the tenant's other apps hold 1, the limit is 3/.test(error.message),
  );
});

test("a change that does not grow a resource passes even when the tenant is over its limit", () => {
  assert.doesNotThrow(() => assertWithinQuota("acme", limits, apps(3), { app: "web", current: apps(2), next: apps(1) }));
  assert.doesNotThrow(() => assertWithinQuota("acme", limits, apps(1), { app: "web", current: NOTHING, next: apps(2) }));
});
