import assert from "node:assert/strict";
import { test } from "node:test";
import { associatedData, deriveKey, digest, keyId, newKey, OpenError, open, seal } from "./crypto.ts";

const place = (...parts: string[]) => associatedData(["acme", "secret", ...parts]);

test("a sealed value opens with its key and place only", () => {
  const key = newKey();
  const sealed = seal(key, Buffer.from("hunter2\nline two"), place("web", "API_KEY", "1"));
  assert.ok(!sealed.includes("hunter2"));
  assert.equal(open(key, sealed, place("web", "API_KEY", "1")).toString(), "hunter2\nline two");
  assert.throws(() => open(key, sealed, place("api", "API_KEY", "1")), OpenError, "another app");
  assert.throws(() => open(key, sealed, place("web", "API_KEY", "2")), OpenError, "another version");
  assert.throws(() => open(newKey(), sealed, place("web", "API_KEY", "1")), OpenError, "another key");
});

test("a changed ciphertext does not open", () => {
  const key = newKey();
  const sealed = seal(key, Buffer.from("value"), place("web", "A", "1"));
  const [format, iv, body] = sealed.split(".") as [string, string, string];
  const bytes = Buffer.from(body, "base64url");
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  for (const tampered of [`${format}.${iv}.${bytes.toString("base64url")}`, `${format}.${iv}`, "v2.x.y", sealed.slice(0, -2)]) {
    assert.throws(() => open(key, tampered, place("web", "A", "1")), OpenError, tampered);
  }
});

test("parts cannot run into each other; digests are keyed; key ids are stable and public", () => {
  assert.notDeepEqual(associatedData(["a-b", "c"]), associatedData(["a", "b-c"]));
  const key = newKey();
  const d = deriveKey(key, "secret digest");
  assert.equal(digest(d, "x"), digest(d, "x"));
  assert.notEqual(digest(d, "x"), digest(deriveKey(newKey(), "secret digest"), "x"));
  assert.notDeepEqual(deriveKey(key, "secret digest"), deriveKey(key, "secret sealing"));
  assert.equal(keyId(key), keyId(Buffer.from(key)));
  assert.match(keyId(key), /^[0-9a-f]{12}$/);
});
