import assert from "node:assert/strict";
import { test } from "node:test";
import { containerConfig } from "./container-config.ts";
import type { InstanceSpec } from "./runtime.ts";

const spec: InstanceSpec = {
  tenant: "a-b",
  app: "c",
  instanceId: "0123abcd",
  image: "minicloud/hello:latest",
  port: 8080,
  env: { GREETING: "hi" },
  command: undefined,
  memoryBytes: 256 * 1024 ** 2,
  cpus: 0.5,
  readOnlyRootfs: true,
  network: "mc_a-b",
  dns: ["10.210.0.1"],
};

test("every container gets the security baseline", () => {
  const { HostConfig } = containerConfig("mc", spec);
  assert.deepEqual(HostConfig.CapDrop, ["ALL"]);
  assert.deepEqual(HostConfig.SecurityOpt, ["no-new-privileges:true"]);
  assert.equal(HostConfig.Privileged, false);
  assert.equal(HostConfig.ReadonlyRootfs, true);
  assert.ok(HostConfig.Tmpfs["/tmp"]);
  assert.equal(HostConfig.Memory, HostConfig.MemorySwap, "swap equals memory");
  assert.equal(HostConfig.NanoCpus, 500_000_000);
  assert.ok(HostConfig.PidsLimit > 0);
  assert.equal(HostConfig.NetworkMode, "mc_a-b");
  assert.deepEqual(HostConfig.Dns, ["10.210.0.1"], "the tenant resolver on the gateway");
  assert.equal("PortBindings" in HostConfig, false, "no host port: the ingress and the host reach the instance on the tenant network");
  assert.equal("Binds" in HostConfig, false);
});

test("names never collide across tenant/app splits, labels carry the truth", () => {
  const first = containerConfig("mc", { ...spec, tenant: "a-b", app: "c" });
  const second = containerConfig("mc", { ...spec, tenant: "a", app: "b-c" });
  assert.notEqual(first.name, second.name);
  assert.equal(first.Labels["minicloud.tenant"], "a-b");
  assert.equal(first.Labels["minicloud.prefix"], "mc");
  assert.equal(first.Labels["minicloud.managed"], "true");
});

test("the read-only root can be opted out of per app; no port means nothing published", () => {
  const config = containerConfig("mc", { ...spec, readOnlyRootfs: false, port: null });
  assert.equal(config.HostConfig.ReadonlyRootfs, false);
  assert.equal("PortBindings" in config.HostConfig, false);
  assert.equal(config.ExposedPorts, undefined);
});
