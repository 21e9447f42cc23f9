import assert from "node:assert/strict";
import { test } from "node:test";
import { isLoopback, loadConfig } from "./config.ts";

test("defaults follow DESIGN.md; env vars and flags override them", () => {
  const defaults = loadConfig([], {});
  assert.deepEqual(defaults.listen, { host: "127.0.0.1", port: 7070 });
  assert.equal(defaults.prefix, "mc");
  assert.equal(defaults.domain, "cloud.local");
  const fromEnv = loadConfig([], { MC_LISTEN: "0.0.0.0:9000", MC_PREFIX: "test1" });
  assert.deepEqual(fromEnv.listen, { host: "0.0.0.0", port: 9000 });
  const fromFlags = loadConfig(["--prefix", "flagged", "--data-dir", "/tmp/x"], { MC_PREFIX: "env" });
  assert.equal(fromFlags.prefix, "flagged");
  assert.equal(fromFlags.dataDir, "/tmp/x");
});

test("bad settings are named", () => {
  assert.throws(() => loadConfig([], { MC_LISTEN: "nope" }), /MC_LISTEN/);
  assert.throws(() => loadConfig([], { MC_PREFIX: "Bad_Prefix" }), /MC_PREFIX/);
  assert.throws(() => loadConfig([], { MC_HTTP_PORT: "99999" }), /MC_HTTP_PORT/);
});

test("only loopback binds go without TLS", () => {
  assert.equal(isLoopback("127.0.0.1"), true);
  assert.equal(isLoopback("::1"), true);
  assert.equal(isLoopback("0.0.0.0"), false);
  assert.equal(isLoopback("192.0.2.1"), false);
});

test("ACME is off unless MC_ACME_EMAIL is set; its settings are checked", () => {
  assert.equal(loadConfig([], {}).acme, undefined);
  assert.deepEqual(loadConfig([], { MC_ACME_EMAIL: "ops@example.com" }).acme, { email: "ops@example.com", ca: undefined });
  const staging = "https://acme-staging-v02.api.letsencrypt.org/directory";
  assert.deepEqual(loadConfig(["--acme-email", "ops@example.com", "--acme-ca", staging], {}).acme, {
    email: "ops@example.com",
    ca: staging,
  });
  assert.throws(() => loadConfig([], { MC_ACME_EMAIL: "not-an-email" }), /MC_ACME_EMAIL/);
  assert.throws(() => loadConfig([], { MC_ACME_EMAIL: "ops@example.com", MC_ACME_CA: "http://plain" }), /MC_ACME_CA/);
  assert.throws(() => loadConfig([], { MC_ACME_CA: staging }), /MC_ACME_CA needs MC_ACME_EMAIL/);
});
