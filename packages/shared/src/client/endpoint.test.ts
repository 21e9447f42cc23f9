import assert from "node:assert/strict";
import { test } from "node:test";
import { normaliseFingerprint, parseHost } from "./endpoint.ts";

test("MC_HOST takes unix, http and https forms", () => {
  assert.deepEqual(parseHost("unix:///run/minicloud/mcd.sock"), { kind: "unix", socketPath: "/run/minicloud/mcd.sock" });
  assert.deepEqual(parseHost("http://127.0.0.1:7070"), { kind: "http", origin: "http://127.0.0.1:7070" });
  assert.deepEqual(parseHost("https://cloud.example:7070/"), { kind: "https", origin: "https://cloud.example:7070" });
  assert.throws(() => parseHost("ftp://x"), /unix:\/\/\/path/);
  assert.throws(() => parseHost("unix://relative.sock"), /absolute path/);
});

test("fingerprints compare equal whatever their case and separators", () => {
  assert.equal(normaliseFingerprint("sha256:abcd"), "SHA256:AB:CD");
  assert.equal(normaliseFingerprint("AB:CD"), normaliseFingerprint("SHA256:ab:cd"));
});
