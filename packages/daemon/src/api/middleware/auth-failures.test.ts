import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { AuditLog, type AuditRecord } from "../../audit/log.ts";
import { AuthFailures } from "./auth-failures.ts";

const failure = (n: number): AuditRecord => ({
  requestId: `r${n}`,
  actor: { role: "anonymous", tenant: null, keyId: null, transport: "tcp" },
  action: "GET /v1/apps",
  tenant: null,
  target: "apps",
  outcome: { status: 401, code: "unauthorized" },
});

test("past the limit an address gets 429 until its window ends; a window's failures are one entry plus one with a count", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "auth-failures-test-"));
  try {
    const log = await AuditLog.open(dir);
    const failures = new AuthFailures({ limit: 3, windowSeconds: 60 }, log);
    const answers = [];
    for (let n = 1; n <= 10; n++) {
      const refused = failures.charge("10.0.0.1");
      answers.push(refused ? 429 : 401);
      await failures.record("10.0.0.1", failure(n));
    }
    assert.deepEqual(answers, [401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    const refused = failures.charge("10.0.0.1");
    assert.equal(refused?.error.code, "rate_limited");
    assert.ok(Number(refused?.headers["Retry-After"]) >= 59, "Retry-After: until the window ends");
    assert.equal(failures.charge("10.0.0.2"), undefined, "another address has its own budget");

    assert.equal((await log.readAll()).length, 1, "the first failure is written at once, the rest wait");
    await failures.flush();
    const entries = await log.readAll();
    assert.equal(entries.length, 2);
    assert.equal(entries[0]?.count, undefined);
    assert.equal(entries[1]?.count, 9);
    assert.equal(entries[1]?.requestId, "r10", "the counted entry carries the last request's fields");
    assert.ok(entries.every((e) => e.actor.address === "10.0.0.1"));
    assert.equal((await log.verify()).ok, true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
