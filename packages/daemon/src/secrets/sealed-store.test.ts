import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { Store } from "../store/store.ts";
import { keyId, newKey } from "./crypto.ts";
import type { MasterKeyRing } from "./master-key.ts";
import { rewrapTenantKeys, SealedStore, SealedStoreError } from "./sealed-store.ts";

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
function ring(key = newKey()): MasterKeyRing {
  const id = keyId(key);
  return { file: "", current: key, currentId: id, byId: (k) => (k === id ? key : undefined) };
}
async function store(): Promise<{ store: Store; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mc-sealed-"));
  dirs.push(dir);
  return { store: await Store.open(dir), dir };
}

test("values open for their tenant and place only; state holds no plaintext", async () => {
  const { store: s, dir } = await store();
  const sealed = new SealedStore(s, ring());
  await sealed.ensureTenant("acme");
  await sealed.ensureTenant("beta");
  const value = sealed.seal("acme", ["secret", "web", "A", "1"], "plain-text-value");
  await s.update(() => undefined);
  assert.ok(!(await readFile(path.join(dir, "state.json"), "utf8")).includes("plain-text-value"));
  assert.equal(sealed.open("acme", ["secret", "web", "A", "1"], value, "A"), "plain-text-value");
  assert.throws(() => sealed.open("beta", ["secret", "web", "A", "1"], value, "A"), SealedStoreError, "another tenant");
  assert.throws(() => sealed.open("acme", ["secret", "api", "A", "1"], value, "A"), /A does not open/, "another app");
  assert.equal(sealed.digest("acme", "x"), sealed.digest("acme", "x"));
  assert.notEqual(sealed.digest("acme", "x"), sealed.digest("beta", "x"), "digests are keyed per tenant");
});

test("a wrong master key opens no tenant key; a re-wrap under a new key keeps every value", async () => {
  const { store: s } = await store();
  const first = ring();
  const sealed = new SealedStore(s, first);
  await sealed.ensureTenant("acme");
  const value = sealed.seal("acme", ["p"], "v");
  assert.deepEqual(new SealedStore(s, ring()).unopenable(), ["acme"]);
  assert.throws(() => new SealedStore(s, ring()).open("acme", ["p"], value, "v"), /does not open under this daemon's master key/);
  const next = newKey();
  await s.update((state) => rewrapTenantKeys(state.tenantKeys, first, next, keyId(next)));
  assert.equal(new SealedStore(s, ring(next)).open("acme", ["p"], value, "v"), "v");
  // All or nothing: a key the given master does not open leaves every record as it was.
  const before = JSON.stringify(s.state.tenantKeys);
  assert.throws(() => rewrapTenantKeys(s.state.tenantKeys as never, first, newKey(), "x"), /nothing was changed/);
  assert.equal(JSON.stringify(s.state.tenantKeys), before);
});
