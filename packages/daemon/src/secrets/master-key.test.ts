import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import type { TenantKeyRecord } from "../store/schema.ts";
import { keyId, newKey } from "./crypto.ts";
import { loadMasterKey, MasterKeyError, nextKeyFile, writeKeyFile } from "./master-key.ts";

const dirs: string[] = [];
async function keyFile(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mc-master-key-"));
  dirs.push(dir);
  return path.join(dir, "sub", "master.key");
}
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
const wrappedBy = (id: string): TenantKeyRecord[] => [{ tenant: "acme", wrapped: "v1.x.y", master: id, createdAt: "" }];

test("created at first start (0600, base64), the same key at the next", async () => {
  const file = await keyFile();
  const first = await loadMasterKey(file, []);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal(Buffer.from((await readFile(file, "utf8")).trim(), "base64").length, 32);
  const again = await loadMasterKey(file, wrappedBy(first.currentId));
  assert.equal(again.currentId, first.currentId);
  assert.equal(again.byId(first.currentId)?.equals(first.current), true);
  assert.equal(again.byId("other"), undefined);
});

test("refused: missing while state holds tenant keys, readable by others, not a key", async () => {
  const file = await keyFile();
  await assert.rejects(
    loadMasterKey(file, wrappedBy("abc")),
    (e: Error) => e instanceof MasterKeyError && /is missing.*abc/.test(e.message),
  );
  await writeKeyFile(file, newKey());
  await chmod(file, 0o644);
  await assert.rejects(loadMasterKey(file, []), /readable by others: chmod 600/);
  await writeFile(file, "not a key\n", { mode: 0o600 });
  await chmod(file, 0o600);
  await assert.rejects(loadMasterKey(file, []), /32 random bytes in base64/);
});

test("a rotation cut short: finished when state names the next key, undone when it does not", async () => {
  const file = await keyFile();
  const old = await loadMasterKey(file, []);
  const next = newKey();
  await writeKeyFile(nextKeyFile(file), next);
  const undone = await loadMasterKey(file, wrappedBy(old.currentId));
  assert.equal(undone.currentId, old.currentId);
  await assert.rejects(stat(nextKeyFile(file)), /ENOENT/);
  await writeKeyFile(nextKeyFile(file), next);
  const finished = await loadMasterKey(file, wrappedBy(keyId(next)));
  assert.equal(finished.currentId, keyId(next));
  assert.equal(keyId(Buffer.from((await readFile(file, "utf8")).trim(), "base64")), keyId(next));
  await assert.rejects(stat(nextKeyFile(file)), /ENOENT/);
});
