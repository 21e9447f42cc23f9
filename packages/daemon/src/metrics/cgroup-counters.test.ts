import assert from "node:assert/strict";
import { test } from "node:test";
import { parseNetDev, statValue } from "./cgroup-counters.ts";

test("net/dev: every interface but loopback, receive and transmit bytes", () => {
  const text = [
    "Inter-|   Receive                                                |  Transmit",
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
    "    lo:  500 5 0 0 0 0 0 0  500 5 0 0 0 0 0 0",
    "  eth0: 1200 9 0 0 0 0 0 0  340 4 0 0 0 0 0 0",
    "  eth1:   10 1 0 0 0 0 0 0    5 1 0 0 0 0 0 0",
    "",
  ].join("\n");
  assert.deepEqual(parseNetDev(text), { rx: 1210, tx: 345 });
});

test("stat files: a key's value, not one whose name merely contains it", () => {
  const text = "cache 10\ninactive_file 4096\ntotal_inactive_file 8192\n";
  assert.equal(statValue(text, "inactive_file"), 4096);
  assert.equal(statValue(text, "total_inactive_file"), 8192);
  assert.equal(statValue(text, "active_file"), undefined);
});
