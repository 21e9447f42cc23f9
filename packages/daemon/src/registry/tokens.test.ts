import assert from "node:assert/strict";
import { createPublicKey, verify, X509Certificate } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { InternalCredentials } from "./internal-credentials.ts";
import { expandReference, registryReference } from "./references.ts";
import { loadSigningKey } from "./signing-key.ts";
import { grant, ISSUER, parseScopes, SERVICE, signToken } from "./tokens.ts";

test("scopes parse with colons in the name; grants stay in the caller's namespace", () => {
  const requested = parseScopes([
    "repository:acme/web:pull,push",
    "repository:globex/web:pull,push",
    "registry:catalog:*",
    "repository:acme/nested/app:delete,pull",
    "repository:127.0.0.1:5000/acme/x:pull",
    "garbage",
  ]);
  assert.deepEqual(requested[4], { type: "repository", name: "127.0.0.1:5000/acme/x", actions: ["pull"] });
  assert.deepEqual(grant({ tenant: "acme", admin: false }, requested), [
    { type: "repository", name: "acme/web", actions: ["pull", "push"] },
    { type: "repository", name: "acme/nested/app", actions: ["pull"] },
  ]);
  const admin = grant({ tenant: "default", admin: true }, requested);
  assert.deepEqual(
    admin.map((a) => `${a.name}:${a.actions.join(",")}`),
    ["acme/web:pull", "globex/web:pull", "acme/nested/app:pull", "127.0.0.1:5000/acme/x:pull"],
    "an admin pulls everywhere and pushes nowhere else",
  );
  assert.deepEqual(
    grant({ tenant: "acm", admin: false }, parseScopes(["repository:acme/web:pull"])),
    [],
    "a prefix of a tenant is not the tenant",
  );
});

test("tokens are ES256 JWTs with the certificate in x5c, for the registry's service and issuer", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mcd-registry-key-"));
  try {
    const key = await loadSigningKey(dir);
    assert.equal((await stat(path.join(dir, "registry", "token.key"))).mode & 0o777, 0o600);
    assert.equal((await loadSigningKey(dir)).certificate, key.certificate, "made once, then read");
    const { token } = signToken(key, "acme", [{ type: "repository", name: "acme/web", actions: ["pull"] }], 1_700_000_000_000);
    const [header, claims, signature] = token.split(".") as [string, string, string];
    const parsedHeader = JSON.parse(Buffer.from(header, "base64url").toString());
    assert.equal(parsedHeader.alg, "ES256");
    const cert = new X509Certificate(Buffer.from(parsedHeader.x5c[0], "base64"));
    const ok = verify(
      "sha256",
      Buffer.from(`${header}.${claims}`),
      { key: createPublicKey(cert.publicKey.export({ type: "spki", format: "pem" })), dsaEncoding: "ieee-p1363" },
      Buffer.from(signature, "base64url"),
    );
    assert.ok(ok, "the signature verifies with the certificate's key");
    const body = JSON.parse(Buffer.from(claims, "base64url").toString());
    assert.deepEqual([body.iss, body.aud, body.sub, body.exp - body.iat], [ISSUER, SERVICE, "acme", 300]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("mcd's own logins: valid for their tenant until they expire, and for no other", () => {
  const credentials = new InternalCredentials("secret");
  const now = 1_700_000_000_000;
  const login = credentials.for("acme", now);
  assert.ok(InternalCredentials.isInternal(login.password));
  assert.equal(credentials.verify("acme", login.password, now), true);
  assert.equal(credentials.verify("globex", login.password, now), false);
  assert.equal(credentials.verify("acme", login.password, now + 601_000), false, "expired");
  assert.equal(new InternalCredentials("other").verify("acme", login.password, now), false);
  assert.equal(credentials.verify("acme", `${login.password.slice(0, -2)}xx`, now), false);
});

test("the short form and the namespace of a reference", () => {
  assert.equal(expandReference("registry/acme/web:v1", 5000), "127.0.0.1:5000/acme/web:v1");
  assert.equal(expandReference("nginx:1.27", 5000), "nginx:1.27");
  assert.deepEqual(registryReference("127.0.0.1:5000/acme/web:v1", 5000), { tenant: "acme", repository: "acme/web" });
  assert.deepEqual(registryReference(`127.0.0.1:5000/acme/a/b@sha256:${"a".repeat(64)}`, 5000), { tenant: "acme", repository: "acme/a/b" });
  assert.equal(registryReference("127.0.0.1:5000/web:v1", 5000), undefined, "no namespace: nobody's");
  assert.equal(registryReference("127.0.0.1:5001/acme/web:v1", 5000), undefined, "another registry");
});
