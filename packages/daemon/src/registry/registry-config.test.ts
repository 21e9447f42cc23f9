import assert from "node:assert/strict";
import { test } from "node:test";
import { registryConfig } from "./registry-config.ts";

test("the registry's configuration: loopback, token auth, notifications with the secret, read-only for GC", () => {
  const input = {
    port: 5123,
    storageDir: "/data/registry/storage",
    realm: "http://127.0.0.1:7070/v1/registry/token",
    service: "minicloud-registry",
    issuer: "mcd",
    certFile: "/data/registry/token.crt",
    notifications: { url: "http://127.0.0.1:7070/v1/registry/notifications", secret: "s3cret" },
    httpSecret: "h",
    readOnly: false,
  };
  const config = JSON.parse(registryConfig(input));
  assert.equal(config.http.addr, "127.0.0.1:5123");
  assert.deepEqual(config.auth.token, {
    realm: input.realm,
    service: "minicloud-registry",
    issuer: "mcd",
    rootcertbundle: "/data/registry/token.crt",
  });
  assert.deepEqual(config.notifications.endpoints[0].headers, { Authorization: ["Bearer s3cret"] });
  assert.equal(config.storage.maintenance.readonly.enabled, false);
  assert.equal(JSON.parse(registryConfig({ ...input, readOnly: true })).storage.maintenance.readonly.enabled, true);
  assert.equal(registryConfig(input), registryConfig(input), "the same input gives the same file");
});
