import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "@minicloud/shared";
import type { Principal } from "./env.ts";
import { StreamLimits } from "./stream-limits.ts";

const key = (keyId: string, tenant = "acme"): Principal => ({ role: "tenant", tenant, keyId });
const admin: Principal = { role: "admin", tenant: "default", keyId: null };
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ApiError);
    return error;
  }
  assert.fail("expected a refusal");
};

test("a key gets perKey streams, a tenant perTenant across its keys; releasing gives the slot back once", () => {
  const limits = new StreamLimits({ perKey: 2, perTenant: 3, fds: () => ({ open: 10, limit: 1024 }) });
  const a1 = limits.acquire(key("a"));
  limits.acquire(key("a"));
  const perKey = refusal(() => limits.acquire(key("a")));
  assert.equal(perKey.status, 429);
  assert.match(perKey.message, /MC_STREAMS_PER_KEY/);
  limits.acquire(key("b"));
  assert.match(refusal(() => limits.acquire(key("c"))).message, /tenant acme .*MC_STREAMS_PER_TENANT/);
  limits.acquire(key("d", "beta"));
  a1();
  a1();
  limits.acquire(key("c"));
  assert.match(refusal(() => limits.acquire(key("c"))).message, /MC_STREAMS_PER_TENANT/, "a second release frees nothing");
  for (let i = 0; i < 10; i++) limits.acquire(admin);
});

test("past 80% of the fd limit every new stream is refused, the admin's too", () => {
  let open = 700;
  const limits = new StreamLimits({ perKey: 20, perTenant: 50, fds: () => ({ open, limit: 1000 }) });
  limits.acquire(key("a"));
  open = 800;
  assert.match(refusal(() => limits.acquire(admin)).message, /800 of its 1000 file descriptors/);
  open = 799;
  limits.acquire(admin);
});
