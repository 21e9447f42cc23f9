import assert from "node:assert/strict";
import { test } from "node:test";
import { contains, freeSubnets, parseCidr } from "./subnet-pool.ts";

test("a /16 pool yields 256 /24 leases with .1 gateways", () => {
  const leases = freeSubnets("10.210.0.0/16", []);
  assert.equal(leases.length, 256);
  assert.deepEqual(leases[0], { subnet: "10.210.0.0/24", gateway: "10.210.0.1" });
  assert.deepEqual(leases[255], { subnet: "10.210.255.0/24", gateway: "10.210.255.1" });
});

test("subnets already used by any network, larger or smaller, are skipped; IPv6 is ignored", () => {
  const leases = freeSubnets("10.210.0.0/22", ["10.210.0.0/24", "10.210.2.128/25", "fd00::/64"]);
  assert.deepEqual(
    leases.map((l) => l.subnet),
    ["10.210.1.0/24", "10.210.3.0/24"],
  );
  assert.deepEqual(freeSubnets("10.210.0.0/22", ["10.0.0.0/8"]), []);
});

test("bad pools are refused with the reason", () => {
  assert.throws(() => freeSubnets("10.210.0.0/25", []), /smaller than a \/24/);
  assert.throws(() => parseCidr("10.210.0/16"), /not an IPv4 CIDR/);
  assert.throws(() => parseCidr("10.210.0.300/16"), /not an IPv4 address/);
});

test("contains tells addresses inside a subnet from those outside", () => {
  assert.equal(contains("10.210.3.0/24", "10.210.3.77"), true);
  assert.equal(contains("10.210.3.0/24", "10.210.4.1"), false);
});
