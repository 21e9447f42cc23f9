import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { AppMetrics } from "@minicloud/shared";
import { freePort, TestDaemon } from "./harness/daemon.ts";
import { curl, eventually } from "./harness/http.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE, SAMPLE_IMAGE } from "./harness/paths.ts";
import { createTenant, deployVia, type TestTenant } from "./harness/tenant.ts";

const BURN = ["sh", "-c", "while :; do :; done"];
const IDLE = ["sh", "-c", "exec sleep 3600"];

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

describe("metrics: sampled history, Prometheus expositions, a real Prometheus scraping them", () => {
  let daemon: TestDaemon;
  let acme: TestTenant;
  let globex: TestTenant;
  let promDir: string | undefined;
  let prometheus: ChildProcess | undefined;

  before(async () => {
    daemon = await TestDaemon.create();
    // A short interval keeps the test quick; the default is 10 s.
    await daemon.start({ MC_METRICS_INTERVAL: "1" });
    acme = await createTenant(daemon, "acme");
    globex = await createTenant(daemon, "globex");
    // Tenants run host images the admin published (a daemon from before `mc images` lets them run any).
    for (const image of [BASE_IMAGE, SAMPLE_IMAGE]) await mc(["images", "publish", image], daemon.env);
    await deployVia(acme.client(), { name: "burner", image: BASE_IMAGE, command: BURN, memory: "32m", cpus: 0.25 });
    await deployVia(acme.client(), { name: "idler", image: BASE_IMAGE, command: IDLE, memory: "32m", cpus: 0.25 });
    await deployVia(acme.client(), { name: "web", image: SAMPLE_IMAGE, port: 8080, memory: "32m", cpus: 0.25 });
    await deployVia(globex.client(), { name: "other", image: BASE_IMAGE, command: IDLE, memory: "32m", cpus: 0.25 });
  });

  after(async () => {
    // By pid, also when a test failed half-way.
    if (prometheus?.pid !== undefined && prometheus.exitCode === null) prometheus.kill("SIGKILL");
    if (promDir) await rm(promDir, { recursive: true, force: true });
    await daemon.destroy();
  });

  const series = async (tenant: TestTenant, app: string, since = "1h"): Promise<AppMetrics> => {
    const client = tenant.client();
    try {
      return await client.metrics.app(app, { since });
    } finally {
      await client.close();
    }
  };

  test("CPU rises when an app burns CPU; GET /v1/apps/:name shows the latest sample", async () => {
    const burning = await eventually(
      () => series(acme, "burner"),
      (m) => m.points.some((p) => (p.cpuPercent ?? 0) >= 10),
      30_000,
    );
    const idle = await series(acme, "idler");
    assert.ok(idle.points.length > 0, "the idle app has samples too");
    const peak = (m: AppMetrics) => Math.max(...m.points.map((p) => p.cpuPercent ?? 0));
    assert.ok(peak(burning) > peak(idle) + 5, `burner ${peak(burning)}% vs idler ${peak(idle)}%`);
    const last = burning.points.at(-1);
    assert.ok(last && (last.memoryBytes ?? 0) > 0 && (last.pids ?? 0) >= 1, JSON.stringify(last));
    assert.equal(last?.memoryLimitBytes, 32 * 1024 ** 2);
    assert.equal(burning.resolution, "raw");

    const client = acme.client();
    try {
      const app = await client.apps.get("burner");
      assert.ok((app.instances[0]?.cpuPercent ?? 0) > 0, JSON.stringify(app.instances[0]));
      assert.ok((app.instances[0]?.memoryBytes ?? 0) > 0);
    } finally {
      await client.close();
    }

    const charted = await mc(["metrics", "burner", "--since", "15m"], acme.env);
    assert.equal(charted.code, 0, charted.stderr);
    assert.match(charted.stdout, /cpu\s+\S+/);
    const listed = json<{ apps: AppMetrics[] }>((await mc(["metrics", "--json"], acme.env)).stdout);
    assert.deepEqual(listed.apps.map((a) => a.app).sort(), ["burner", "idler", "web"]);
  });

  test("the ingress's requests per app: rates by status class and latency in the history, counters in /v1/metrics", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await curl(`${daemon.url("web", "acme")}/`)).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await curl(`${daemon.url("web", "acme")}/missing`)).status, 404);
    const web = await eventually(
      () => series(acme, "web"),
      (m) => m.points.reduce((sum, p) => sum + (p.responses4xxPerSecond ?? 0), 0) > 0,
      30_000,
    );
    const sum = (pick: (p: AppMetrics["points"][number]) => number | null) => web.points.reduce((total, p) => total + (pick(p) ?? 0), 0);
    assert.ok(sum((p) => p.responses2xxPerSecond) > 0 && sum((p) => p.responses4xxPerSecond) > 0, JSON.stringify(web.points.slice(-5)));
    assert.ok(web.points.some((p) => p.latencyMs !== null));
    assert.equal(sum((p) => p.requestsPerSecond) > 0, true);
    const idle = await series(acme, "idler");
    assert.ok(
      idle.points.every((p) => !p.requestsPerSecond),
      "another app's traffic is not counted for it",
    );
    const text = await (await fetch(`${daemon.tcpUrl}/v1/metrics`, { headers: { authorization: `Bearer ${acme.key}` } })).text();
    assert.match(text, /minicloud_http_requests_total\{tenant="acme",app="web",code="2xx"\} 5/);
    assert.match(text, /minicloud_http_requests_total\{tenant="acme",app="web",code="4xx"\} 3/);
  });

  test("a tenant asking for another tenant's app metrics gets 404", async () => {
    const result = await mc(["metrics", "burner", "--json"], globex.env);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(errorOf(result).code, "not_found");
    const response = await fetch(`${daemon.tcpUrl}/v1/apps/burner/metrics?tenant=acme`, {
      headers: { authorization: `Bearer ${globex.key}` },
    });
    assert.equal(response.status, 404);
  });

  test("bad --since values: exit 2 before any request; the API answers 400 naming the field", async () => {
    for (const since of ["-1h", "99999999d", "31d", "0s", "abc", "1.5h", "1h30m"]) {
      const result = await mc(["metrics", "burner", `--since=${since}`, "--json"], acme.env);
      assert.equal(result.code, 2, `${since}: ${result.stderr}`);
      assert.equal(errorOf(result).code, "invalid_input");
      const response = await fetch(`${daemon.tcpUrl}/v1/apps/burner/metrics?since=${encodeURIComponent(since)}`, {
        headers: { authorization: `Bearer ${acme.key}` },
      });
      assert.equal(response.status, 400, since);
      assert.match(response.headers.get("content-type") ?? "", /application\/problem\+json/);
      const problem = (await response.json()) as { code: string; errors?: { field: string }[] };
      assert.equal(problem.code, "invalid_input");
      assert.ok(
        problem.errors?.some((e) => e.field === "since"),
        JSON.stringify(problem),
      );
    }
  });

  test("GET /metrics is the admin's: a tenant key is refused with 403 problem+json", async () => {
    const refused = await fetch(`${daemon.tcpUrl}/metrics`, { headers: { authorization: `Bearer ${acme.key}` } });
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get("content-type") ?? "", /application\/problem\+json/);
    assert.equal(((await refused.json()) as { code: string }).code, "forbidden");
    const anonymous = await fetch(`${daemon.tcpUrl}/metrics`);
    assert.equal(anonymous.status, 401);
    const admin = await fetch(`${daemon.tcpUrl}/metrics`, { headers: { authorization: `Bearer ${await daemon.adminKey()}` } });
    assert.equal(admin.status, 200);
    const text = await admin.text();
    for (const name of [
      "mcd_http_requests_total",
      "mcd_http_request_duration_seconds_bucket",
      "mcd_deploys_total",
      "mcd_reconcile_passes_total",
      "mcd_instances",
      "mcd_tenant_quota_used",
      "mcd_supervised_process_restarts_total",
      "nodejs_eventloop_lag_seconds",
    ]) {
      assert.match(text, new RegExp(`^${name}`, "m"), name);
    }
    assert.match(text, /mcd_deploys_total\{outcome="succeeded"\} [1-9]/);
    assert.match(text, /mcd_tenant_quota_used\{tenant="acme",resource="instances"\} 3/);
  });

  test("a real Prometheus scrapes /metrics (admin) and /v1/metrics (tenant): the tenant's series are its own apps only", async () => {
    // A request the daemon's own metrics then count by route.
    await series(acme, "burner");
    promDir = await mkdtemp(path.join(os.tmpdir(), "mc-prometheus-"));
    const promPort = await freePort();
    const target = new URL(daemon.tcpUrl).host;
    await writeFile(path.join(promDir, "admin.key"), await daemon.adminKey(), { mode: 0o600 });
    await writeFile(path.join(promDir, "acme.key"), acme.key, { mode: 0o600 });
    const job = (name: string, metricsPath: string, keyFile: string) =>
      [
        `  - job_name: ${name}`,
        `    metrics_path: ${metricsPath}`,
        "    authorization:",
        `      credentials_file: ${path.join(promDir as string, keyFile)}`,
        "    static_configs:",
        `      - targets: ["${target}"]`,
      ].join("\n");
    await writeFile(
      path.join(promDir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        job("mcd", "/metrics", "admin.key"),
        job("acme", "/v1/metrics", "acme.key"),
        "",
      ].join("\n"),
    );
    let output = "";
    prometheus = spawn(
      "/usr/bin/prometheus",
      [
        `--config.file=${path.join(promDir, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(promDir, "data")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prometheus.stdout?.on("data", (chunk) => (output += chunk));
    prometheus.stderr?.on("data", (chunk) => (output += chunk));
    const query = async (q: string): Promise<PromResult[]> => {
      const response = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => undefined);
      if (!response?.ok) return [];
      return ((await response.json()) as { data: { result: PromResult[] } }).data.result;
    };
    const cpu = await eventually(
      () => query('container_cpu_usage_seconds_total{job="acme"}'),
      (result) => result.length >= 2,
      60_000,
    );
    assert.ok(cpu.length >= 2, `prometheus has no acme series: ${output.slice(-2000)}`);
    assert.deepEqual([...new Set(cpu.map((r) => r.metric.tenant))], ["acme"]);
    assert.deepEqual([...new Set(cpu.map((r) => r.metric.app))].sort(), ["burner", "idler", "web"]);
    const up = await eventually(
      () => query('up{job="mcd"}'),
      (result) => result[0]?.value[1] === "1",
      30_000,
    );
    assert.equal(up[0]?.value[1], "1", "Prometheus scrapes /metrics with the admin key");
    const requests = await eventually(
      () => query('mcd_http_requests_total{job="mcd",route="/v1/apps/:name/metrics"}'),
      (result) => result.length > 0,
      30_000,
    );
    assert.ok(requests.length > 0);
    // The admin's exposition carries every tenant, labelled.
    const all = await fetch(`${daemon.tcpUrl}/v1/metrics`, { headers: { authorization: `Bearer ${await daemon.adminKey()}` } });
    const text = await all.text();
    assert.match(text, /container_memory_working_set_bytes\{tenant="globex",app="other"/);
    assert.match(text, /container_memory_working_set_bytes\{tenant="acme",app="burner"/);
  });

  test("a destroyed app's history goes with it: a new app of that name starts afresh", async () => {
    assert.ok((await series(acme, "idler")).points.length > 0);
    const client = acme.client();
    try {
      await client.apps.destroy("idler");
    } finally {
      await client.close();
    }
    const redeployedAt = new Date().toISOString();
    await deployVia(acme.client(), { name: "idler", image: BASE_IMAGE, command: IDLE, memory: "32m", cpus: 0.25 });
    const fresh = await series(acme, "idler");
    assert.deepEqual(
      fresh.points.filter((p) => p.t < redeployedAt),
      [],
    );
  });

  test("daemon kill -9: the history up to the kill is still there", async () => {
    // A point newer than the snapshot means the snapshot's points were written (each pass writes before the next).
    const snapshot = await series(acme, "burner");
    const lastBefore = snapshot.points.at(-1)?.t ?? "";
    await eventually(
      () => series(acme, "burner"),
      (m) => (m.points.at(-1)?.t ?? "") > lastBefore,
      15_000,
    );
    await daemon.restart("SIGKILL", { MC_METRICS_INTERVAL: "1" });
    const afterKill = await series(acme, "burner");
    const kept = new Set(afterKill.points.map((p) => p.t));
    const lost = snapshot.points.filter((p) => !kept.has(p.t));
    assert.deepEqual(lost, [], `${lost.length} of ${snapshot.points.length} points lost`);
    const cpuOf = new Map(afterKill.points.map((p) => [p.t, p.cpuPercent]));
    for (const point of snapshot.points) assert.equal(cpuOf.get(point.t), point.cpuPercent);
  });
});
