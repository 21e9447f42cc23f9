import assert from "node:assert/strict";
import { test } from "node:test";
import type { App, AuditEntry, Instance } from "@minicloud/shared";
import { matchesAudit } from "./admin.ts";
import { appState } from "./apps.ts";
import { lineChart } from "./chart.ts";
import { bytes } from "./format.ts";
import { loginPage } from "./login.ts";

const entry = (over: Partial<AuditEntry>): AuditEntry => ({
  seq: 1,
  ts: "2026-11-25T10:00:00.000Z",
  requestId: "r",
  actor: { role: "tenant", tenant: "acme", keyId: "k", transport: "tcp" },
  action: "POST /v1/apps/web/rollback",
  tenant: "acme",
  target: "apps/web/rollback",
  outcome: { status: 200, code: null },
  prevHash: "",
  hash: "",
  ...over,
});
const none = { tenant: "", action: "", outcome: "" as const, since: "" };

test("audit filters: tenant, action text, outcome, since", () => {
  assert.ok(matchesAudit(entry({}), none));
  assert.ok(matchesAudit(entry({}), { ...none, tenant: "acme", action: "rollback", outcome: "ok" }));
  assert.ok(!matchesAudit(entry({}), { ...none, tenant: "other" }));
  assert.ok(!matchesAudit(entry({}), { ...none, action: "destroy" }));
  assert.ok(!matchesAudit(entry({}), { ...none, outcome: "failed" }));
  assert.ok(matchesAudit(entry({ outcome: { status: 403, code: "forbidden" } }), { ...none, outcome: "failed" }));
  // datetime-local has no zone: read as UTC, like the times the page shows.
  assert.ok(matchesAudit(entry({}), { ...none, since: "2026-11-25T10:00" }));
  assert.ok(!matchesAudit(entry({}), { ...none, since: "2026-11-25T10:01" }));
});

test("an app's one-word state", () => {
  const instance: Instance = {
    id: "a",
    state: "running",
    health: "healthy",
    restarts: 0,
    startedAt: null,
    url: null,
    cpuPercent: null,
    memoryBytes: null,
    lastExit: null,
  };
  const app = (over: Partial<App>) => ({ desired: "running", operation: null, count: 2, instances: [instance, instance], ...over }) as App;
  assert.equal(appState(app({})), "running");
  assert.equal(appState(app({ desired: "stopped" })), "stopped");
  assert.equal(appState(app({ operation: "deploy" })), "deploying");
  assert.equal(appState(app({ instances: [instance] })), "degraded");
  assert.equal(appState(app({ instances: [{ ...instance, state: "crash-looping" }] })), "crash-looping");
  assert.equal(appState(app({ count: 0, instances: [] })), "scaled-to-zero");
  assert.equal(appState(app({ instances: [] })), "starting");
});

test("a chart breaks its line at gaps and says when there is nothing", () => {
  const svg = String(lineChart("CPU", [1, 2, null, 4, 5], (n) => `${n}%`));
  assert.equal(svg.match(/<polyline/g)?.length, 2);
  assert.match(svg, /latest 5%, max 5%/);
  assert.match(String(lineChart("CPU", [null, null], String)), /No samples yet/);
});

test("text is escaped in pages", () => {
  const page = String(loginPage(`<script>alert(1)</script>`, true));
  assert.ok(!page.includes("<script>alert(1)"));
  assert.ok(page.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
});

test("bytes for people", () => {
  assert.equal(bytes(0), "0 B");
  assert.equal(bytes(1536), "1.5 KiB");
  assert.equal(bytes(64 * 1024 ** 2), "64.0 MiB");
  assert.equal(bytes(1667852 * 1024), "1.6 GiB");
  assert.equal(bytes(300 * 1024 ** 3), "300 GiB");
});
