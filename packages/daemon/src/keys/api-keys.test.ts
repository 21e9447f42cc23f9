import assert from "node:assert/strict";
import { test } from "node:test";
import { generateKey, keyId, keyMatches } from "./api-keys.ts";

test("keys are recognisable, carry their id, and only their hash is needed to verify", () => {
  const { id, key, hash } = generateKey();
  assert.match(key, /^mck_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
  assert.equal(keyId(key), id);
  assert.ok(!hash.includes(key));
  assert.equal(keyMatches(key, hash), true);
  assert.equal(keyMatches(`${key.slice(0, -1)}x`, hash), false);
  assert.equal(keyId("Bearer nonsense"), undefined);
});
