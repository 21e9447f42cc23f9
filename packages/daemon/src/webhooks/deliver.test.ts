import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import { checkTarget, signature } from "./deliver.ts";

const strict = { allowPrivate: false, ownPorts: [7070] };

test("the signature is the hex HMAC-SHA256 of the exact body", () => {
  const body = '{"type":"instance.crashed"}';
  assert.equal(signature("whsec_x", body), `sha256=${createHmac("sha256", "whsec_x").update(body).digest("hex")}`);
  assert.notEqual(signature("whsec_x", body), signature("whsec_y", body));
});

test("targets are checked after DNS: a name for loopback is refused like the address", async () => {
  assert.match((await checkTarget("http://127.0.0.1:9000/hook", strict)) ?? "", /loopback/);
  assert.match((await checkTarget("http://localhost:9000/hook", strict)) ?? "", /localhost resolves to .*loopback/);
  assert.match((await checkTarget("http://[::1]:9000/hook", strict)) ?? "", /loopback/);
  assert.match((await checkTarget("http://127.0.0.1:7070/", { allowPrivate: true, ownPorts: [7070] })) ?? "", /own ports/);
  assert.equal(await checkTarget("http://127.0.0.1:9000/", { allowPrivate: true, ownPorts: [7070] }), undefined);
  assert.match((await checkTarget("http://name.invalid/", strict)) ?? "", /does not resolve/);
});
