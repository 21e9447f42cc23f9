import assert from "node:assert/strict";
import { test } from "node:test";
import { refusalOf } from "./target-rules.ts";

const strict = { allowPrivate: false, ownPorts: [7070, 80, 443] };
const relaxed = { allowPrivate: true, ownPorts: [7070, 80, 443] };

test("by default loopback, private, link-local and gateway addresses are refused; public ones pass", () => {
  for (const address of [
    "127.0.0.1",
    "127.8.9.1",
    "::1",
    "10.210.3.1",
    "172.17.0.1",
    "192.168.1.5",
    "169.254.169.254",
    "0.0.0.0",
    "::",
    "fe80::1",
    "::ffff:127.0.0.1",
    "fd00::5",
  ]) {
    assert.ok(refusalOf(address, 8080, strict), address);
  }
  for (const address of ["93.184.216.34", "2606:4700::1111", "8.8.8.8"]) assert.equal(refusalOf(address, 443, strict), undefined, address);
  assert.match(refusalOf("127.0.0.1", 9000, strict) ?? "", /loopback address.*MC_WEBHOOK_ALLOW_PRIVATE/);
});

test("allowing private targets still refuses the daemon's own ports and link-local", () => {
  assert.equal(refusalOf("127.0.0.1", 9000, relaxed), undefined);
  assert.equal(refusalOf("172.17.0.1", 9000, relaxed), undefined);
  assert.match(refusalOf("127.0.0.1", 7070, relaxed) ?? "", /daemon's own ports/);
  assert.match(refusalOf("172.17.0.1", 443, relaxed) ?? "", /daemon's own ports/);
  assert.match(refusalOf("169.254.169.254", 80, relaxed) ?? "", /link-local/);
  assert.equal(refusalOf("8.8.8.8", 7070, relaxed), undefined, "a public host's port is its own business");
});
