import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { AuditLog, type AuditRecord } from "./log.ts";

const record = (tenant: string, n: number): AuditRecord => ({
  requestId: `r${n}-${"x".repeat(n % 300)}`, // lines of many lengths, some across the 64 KiB read chunks
  actor: { role: "admin", tenant: "default", keyId: null, transport: "unix" },
  action: "POST /v1/apps",
  tenant,
  target: "apps",
  outcome: { status: 201, code: null },
});

test("tail reads the last entries from the end of the log, filtered, oldest first; a reopened log continues the chain", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "audit-test-"));
  try {
    const log = await AuditLog.open(dir);
    assert.deepEqual(await log.tail(5), [], "no log yet: nothing");
    assert.deepEqual(await log.readAll(), []);
    for (let n = 1; n <= 1200; n++) await log.append(record(n % 3 === 0 ? "acme" : "other", n));
    const all = await log.readAll();
    assert.equal(all.length, 1200);
    assert.deepEqual(
      (await log.tail(5)).map((e) => e.seq),
      [1196, 1197, 1198, 1199, 1200],
    );
    const acme = all.filter((e) => e.tenant === "acme");
    assert.deepEqual(
      (await log.tail(500, (e) => e.tenant === "acme")).map((e) => e.seq),
      acme.slice(-400).map((e) => e.seq),
      "fewer matches than asked: every one of them",
    );
    assert.deepEqual(await log.tail(2000), all);

    const reopened = await AuditLog.open(dir);
    await reopened.append(record("acme", 1201));
    assert.deepEqual(await reopened.verify(), { ok: true, entries: 1201, brokenAt: null, reason: null });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
