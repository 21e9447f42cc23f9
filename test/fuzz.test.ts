import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { access } from "node:fs/promises";
import os from "node:os";
import { after, before, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf } from "./harness/docker.ts";
import { createTenant, type TestTenant } from "./harness/tenant.ts";

/** Installed by scripts/setup (PyPI, pinned). */
const SCHEMATHESIS = "/opt/minicloud/schemathesis/bin/st";

/**
 * schemathesis against the served OpenAPI document: every operation, bounded examples, a fixed
 * seed. `positive_data_acceptance` is left out: some schema-valid requests are refused on state,
 * not shape (a first deploy needs an image; a body must name at least one secret), which a schema
 * cannot say. Every other check holds: no 5xx, answers match the declared schemas and statuses.
 */
function fuzz(daemon: TestDaemon, key: string, seed: number): Promise<{ code: number | null; output: string }> {
  const args = [
    "run",
    `${daemon.tcpUrl}/v1/openapi.json`,
    "--header",
    `Authorization: Bearer ${key}`,
    "--checks",
    "all",
    "--exclude-checks",
    "positive_data_acceptance",
    "--phases",
    "examples,coverage,fuzzing",
    "--max-examples",
    "10",
    "--seed",
    String(seed),
    // One worker: hypothesis describes strategies with ast.parse, which this CPython 3.11
    // can fail from two threads at once ("AST constructor recursion depth mismatch", gh-106905).
    "--workers",
    "1",
    "--request-timeout",
    "30",
    "--output-truncate",
    "true",
    // No example database between runs: the same seed gives the same run, and nothing is written.
    "--generation-database",
    "none",
    "--no-color",
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, args, { stdio: ["ignore", "pipe", "pipe"], cwd: os.tmpdir() });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

/** The part of schemathesis' report worth reading in a failure: the failures and the summary. */
function report(output: string): string {
  const start = output.indexOf("FAILURES");
  return (start >= 0 ? output.slice(start) : output.slice(-4000)).slice(0, 12_000);
}

describe("fuzzing the API from its OpenAPI document (schemathesis), as admin and as a tenant", () => {
  let daemon: TestDaemon;
  let tenant: TestTenant;
  before(async () => {
    await access(SCHEMATHESIS).catch(() => {
      throw new Error(`${SCHEMATHESIS} is missing: scripts/setup installs it`);
    });
    // Limits that would answer 429 to a fuzzer's thousand requests are lifted for this daemon only.
    daemon = await TestDaemon.create();
    await daemon.start({ MC_RATE_LIMIT: "1000000", MC_AUTH_FAILURE_LIMIT: "1000000", MC_HEALTH_TIMEOUT: "3" });
    tenant = await createTenant(daemon, "fuzzed");
  });
  after(async () => {
    await daemon.destroy();
    assert.equal((await containersOf(daemon.prefix)).length, 0);
  });

  test("with an admin key: no 5xx, no answer outside the document", async () => {
    const { code, output } = await fuzz(daemon, await daemon.adminKey(), 42);
    assert.equal(code, 0, report(output));
    assert.match(output, /passed/);
  });

  test("with a tenant key: no 5xx, no answer outside the document", async () => {
    const { code, output } = await fuzz(daemon, tenant.key, 7);
    assert.equal(code, 0, report(output));
    assert.match(output, /passed/);
  });
});
