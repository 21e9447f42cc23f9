/**
 * `npm run bench`: starts an isolated daemon (its own data dir, socket, port and prefix), runs each
 * benchmark next to a baseline measured in the same run, prints a table and writes
 * bench/results/latest.json. Not part of the test suite; cleans up after itself.
 * `BENCH_ONLY=storage` (a comma-separated list of groups: cli, deploy, api, ingress, dns, scale,
 * storage, state, metrics, images, logs, dashboard) runs just those and writes bench/results/only-<groups>.json instead; dns asks for the
 * app ingress deploys, and scale counts on api's apps, so run those with them.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Agent, Pool, request } from "undici";
import { TestDaemon } from "../test/harness/daemon.ts";
import { docker } from "../test/harness/docker.ts";
import { mc } from "../test/harness/mc.ts";
import { MC_BIN, REPO_ROOT, SAMPLE_IMAGE } from "../test/harness/paths.ts";
import { benchCli } from "./cli.ts";
import { benchDashboard } from "./dashboard.ts";
import { benchImages } from "./images.ts";
import { benchLogs } from "./logs.ts";
import { benchMetrics } from "./metrics.ts";
import { benchState } from "./state.ts";
import { round, summarise, timeIt } from "./stats.ts";
import { benchStorage } from "./storage.ts";

const run = promisify(execFile);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 7);
const API_APPS = Number(process.env.BENCH_API_APPS ?? 50);
const API_SECONDS = Number(process.env.BENCH_API_SECONDS ?? 5);
const API_CONCURRENCY = 16;

interface Row {
  name: string;
  subject: { median: number; p99: number; n: number };
  baseline?: { name: string; median: number; p99: number; n: number };
  ratio?: number;
  unit: string;
  goal: string;
}

const rows: Row[] = [];
const GROUPS = ["cli", "deploy", "api", "ingress", "dns", "scale", "storage", "state", "metrics", "images", "logs", "dashboard"] as const;
const only = (process.env.BENCH_ONLY ?? "").split(",").filter(Boolean);
const unknown = only.filter((group) => !(GROUPS as readonly string[]).includes(group));
if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown group(s) ${unknown.join(", ")}; groups: ${GROUPS.join(", ")}`);
const wanted = (group: (typeof GROUPS)[number]) => only.length === 0 || only.includes(group);

function record(name: string, unit: string, goal: string, subject: number[], baseline?: { name: string; samples: number[] }): void {
  const s = summarise(subject);
  const b = baseline ? { name: baseline.name, ...summarise(baseline.samples) } : undefined;
  rows.push({ name, subject: s, baseline: b, ratio: b ? round(s.median / b.median) : undefined, unit, goal });
}

/** Polls until `url` answers 200; `host` sends the request to 127.0.0.1 with that Host header (the ingress). */
async function waitFor200(url: string, host?: string): Promise<void> {
  for (;;) {
    try {
      const response = await request(url, { headers: host ? { host } : {}, headersTimeout: 1000, bodyTimeout: 1000 });
      await response.body.arrayBuffer();
      if (response.statusCode === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function benchDeploy(daemon: TestDaemon): Promise<void> {
  const platform: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    platform.push(
      await timeIt(async () => {
        const result = await mc(["deploy", `lat${i}`, "--image", SAMPLE_IMAGE, "--port", "8080", "--json"], daemon.env);
        if (result.code !== 0) throw new Error(result.stderr);
        // Through the ingress, by its host name, as the printed URL would be reached.
        await waitFor200(`http://127.0.0.1:${daemon.httpPort}/`, `lat${i}.default.localhost`);
      }),
    );
    let id = "";
    raw.push(
      await timeIt(async () => {
        id = (
          await run("docker", ["run", "-d", "--label", `minicloud.prefix=${daemon.prefix}`, "-p", "127.0.0.1::8080", SAMPLE_IMAGE])
        ).stdout.trim();
        const port = (await run("docker", ["port", id, "8080/tcp"])).stdout.trim().split(":").pop();
        await waitFor200(`http://127.0.0.1:${port}/`);
      }),
    );
    await run("docker", ["rm", "-f", id]);
    await mc(["apps", "destroy", `lat${i}`, "--yes"], daemon.env);
  }
  record("mc deploy until its ingress URL answers 200", "ms", "ratio ≤ 1.25", platform, {
    name: "docker run -d -p until 200",
    samples: raw,
  });
  deploySteps = deployPhases(
    daemon,
    Array.from({ length: ITERATIONS }, (_, i) => `lat${i}`),
  );
}

async function load(
  url: string,
  dispatcher: Agent | Pool,
  headers: Record<string, string>,
  seconds = API_SECONDS,
): Promise<{ rps: number; latencies: number[] }> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const start = performance.now();
      const response = await request(url, { dispatcher, headers });
      await response.body.arrayBuffer();
      if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
      latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: API_CONCURRENCY }, worker));
  return { rps: round(latencies.length / ((performance.now() - started) / 1000)), latencies };
}

interface Target {
  url: string;
  dispatcher: Agent | Pool;
  headers: Record<string, string>;
}

/**
 * The same load on each target in turn, in `slices` rounds that together last `seconds` per target,
 * so the machine's drift (others' work on the same cores) falls on all of them alike.
 */
type Load = { rps: number; latencies: number[] };

async function loadInTurn(targets: Target[], seconds = API_SECONDS, slices = 5): Promise<Load[]> {
  const totals = targets.map(() => ({ requests: 0, seconds: 0, latencies: [] as number[] }));
  for (let round = 0; round < slices; round++) {
    for (const [i, target] of targets.entries()) {
      const started = performance.now();
      const { latencies } = await load(target.url, target.dispatcher, target.headers, seconds / slices);
      const total = totals[i] as (typeof totals)[number];
      total.seconds += (performance.now() - started) / 1000;
      total.requests += latencies.length;
      total.latencies.push(...latencies);
    }
  }
  return totals.map((t) => ({ rps: round(t.requests / t.seconds), latencies: t.latencies }));
}

async function benchApi(daemon: TestDaemon): Promise<void> {
  const raised = await mc(
    ["tenants", "quota", "default", "--max-apps", "1000", "--max-instances", "1000", "--max-cpus", "1000", "--max-memory", "1024g"],
    daemon.env,
  );
  if (raised.code !== 0) throw new Error(raised.stderr);
  const client = daemon.client();
  try {
    for (let i = 0; i < API_APPS; i++)
      await client.apps.deploy({ name: `api${i}`, image: SAMPLE_IMAGE, port: 8080, memory: "16m", cpus: 0.05 });
  } finally {
    await client.close();
  }
  const socket = new Agent({ connect: { socketPath: daemon.socket }, connections: API_CONCURRENCY });
  // The listing's own bytes, served by the bare server too: what the answer's size costs alone.
  const listing = path.join(daemon.dir, "bench-listing.json");
  await writeFile(listing, await (await request("http://mcd/v1/apps", { dispatcher: socket })).body.text());
  const hello = await helloHono(listing);
  const tcpPool = new Pool(daemon.tcpUrl, { connections: API_CONCURRENCY });
  const helloPool = new Pool(hello.url, { connections: API_CONCURRENCY });
  let results: Awaited<ReturnType<typeof loadInTurn>>;
  try {
    results = await loadInTurn([
      { url: `${hello.url}/`, dispatcher: helloPool, headers: {} },
      { url: `${hello.url}/same`, dispatcher: helloPool, headers: {} },
      { url: "http://mcd/v1/apps", dispatcher: socket, headers: {} },
      { url: `${daemon.tcpUrl}/v1/apps`, dispatcher: tcpPool, headers: { authorization: `Bearer ${await daemon.adminKey()}` } },
    ]);
  } finally {
    await Promise.all([socket.close(), tcpPool.close(), helloPool.close()]);
    hello.stop();
  }
  const [bare, same, unix, tcp] = results as [Load, Load, Load, Load];
  // Ratios of requests/s against the bare server's, which the same machine served in the same run.
  const baseline = { name: `bare Hono hello-world, ${bare.rps} req/s`, samples: bare.latencies };
  const goal = "req/s ratio ≥ 0.5, p99 ≤ 10 ms";
  record(`GET /v1/apps (${API_APPS} apps), socket: ${unix.rps} req/s`, "ms", goal, unix.latencies, baseline);
  rows[rows.length - 1] = { ...(rows.at(-1) as Row), ratio: round(unix.rps / bare.rps) };
  record(`GET /v1/apps (${API_APPS} apps), TCP+key: ${tcp.rps} req/s`, "ms", goal, tcp.latencies, baseline);
  rows[rows.length - 1] = { ...(rows.at(-1) as Row), ratio: round(tcp.rps / bare.rps) };
  record(`bare Hono serving the same ${API_APPS}-app answer: ${same.rps} req/s`, "ms", "reference", same.latencies, baseline);
  rows[rows.length - 1] = { ...(rows.at(-1) as Row), ratio: round(same.rps / bare.rps) };
  const rss = Number((await run("ps", ["-o", "rss=", "-p", String(await daemonPid(daemon))])).stdout.trim()) / 1024;
  rows.push({
    name: `mcd RSS with ${API_APPS} apps`,
    subject: { median: round(rss), p99: round(rss), n: 1 },
    unit: "MB",
    goal: "(see 200 below)",
  });
}

/** bench/hello-hono.ts in its own process (as mcd is), on a free loopback port. */
async function helloHono(same: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "bench/hello-hono.ts"), same], { stdio: ["ignore", "pipe", "inherit"] });
  const stop = () => child.kill();
  try {
    const exited = once(child, "exit").then(([code]) => {
      throw new Error(`bench/hello-hono.ts exited (${code}) before it listened`);
    });
    const [line] = (await Promise.race([once(child.stdout, "data"), exited])) as [Buffer];
    return { url: `http://127.0.0.1:${Number(line.toString().trim())}`, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/** Requests/s through Caddy to one small HTTP container vs straight to the container, same client, same run. */
async function benchIngress(daemon: TestDaemon): Promise<void> {
  const client = daemon.client();
  let ip: string;
  try {
    const app = await client.apps.deploy({ name: "edge", image: SAMPLE_IMAGE, port: 8080, memory: "64m", cpus: 1 });
    ip = new URL(app.instances[0]?.url ?? "").hostname;
  } finally {
    await client.close();
  }
  const viaCaddy = new Pool(`http://127.0.0.1:${daemon.httpPort}`, { connections: API_CONCURRENCY });
  const direct = new Pool(`http://${ip}:8080`, { connections: API_CONCURRENCY });
  const [ingress, straight] = (await loadInTurn([
    { url: `http://127.0.0.1:${daemon.httpPort}/`, dispatcher: viaCaddy, headers: { host: "edge.default.localhost" } },
    { url: `http://${ip}:8080/`, dispatcher: direct, headers: {} },
  ])) as [Load, Load];
  await viaCaddy.close();
  await direct.close();
  record(`ingress: ${ingress.rps} req/s vs direct ${straight.rps} req/s`, "ms", "req/s ratio ≥ 0.8, p99 reported", ingress.latencies, {
    name: "straight to the container",
    samples: straight.latencies,
  });
  rows[rows.length - 1] = { ...(rows.at(-1) as Row), ratio: round(ingress.rps / straight.rps) };
}

/** Queries/s and p99 for `<app>.<tenant>.internal` against the supervised CoreDNS (its host listener). */
async function benchDns(daemon: TestDaemon): Promise<void> {
  const { default: dnsPacket } = await import("dns-packet");
  const dgram = await import("node:dgram");
  const socket = dgram.createSocket("udp4");
  const pending = new Map<number, () => void>();
  socket.on("message", (message) => pending.get(dnsPacket.decode(message).id ?? -1)?.());
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const latencies: number[] = [];
  let nextId = 0;
  const deadline = performance.now() + API_SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const id = nextId++ % 65536;
      const start = performance.now();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("DNS query timed out")), 2000);
        pending.set(id, () => {
          clearTimeout(timer);
          pending.delete(id);
          resolve();
        });
        socket.send(
          dnsPacket.encode({ id, type: "query", questions: [{ type: "A", name: "edge.default.internal" }] }),
          daemon.dnsPort,
          "127.0.0.1",
        );
      });
      latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: API_CONCURRENCY }, worker));
  socket.close();
  const qps = round(latencies.length / ((performance.now() - started) / 1000));
  record(`DNS edge.default.internal: ${qps} queries/s`, "ms", "measured (no goal)", latencies);
}

/** 200 one-instance apps in one tenant: the 200th deploy vs the 1st, then RSS and `mc status`. */
async function benchScale(daemon: TestDaemon): Promise<void> {
  const total = Number(process.env.BENCH_SCALE_APPS ?? 200);
  const existing = API_APPS + 1;
  const times: number[] = [];
  let engineEarly: number[] = [];
  const client = daemon.client();
  try {
    for (let i = existing; i < total; i++) {
      times.push(await timeIt(() => client.apps.deploy({ name: `s${i}`, image: SAMPLE_IMAGE, port: 8080, memory: "16m", cpus: 0.05 })));
      if (i === existing + 9) engineEarly = await engineStarts(daemon);
    }
  } finally {
    await client.close();
  }
  const engineLate = await engineStarts(daemon);
  const first = times.slice(0, 10);
  const last = times.slice(-10);
  record(`deploy #${total - 9}-${total} vs #${existing + 1}-${existing + 10}`, "ms", "ratio ≤ 1.2", last, {
    name: "early deploys",
    samples: first,
  });
  // The engine's own growth: the same container, bare, at the same two points of the same run.
  record(`engine only: docker run (same limits, tenant network) at ${total} vs ${existing + 10} apps`, "ms", "(baseline)", engineLate, {
    name: `at ${existing + 10} apps`,
    samples: engineEarly,
  });
  phases = {
    early: deployPhases(daemon, range(existing, existing + 10)),
    late: deployPhases(daemon, range(total - 10, total)),
  };
  const status: number[] = [];
  // As users start it: the program (its launcher takes the fast path), not `node run.js`.
  for (let i = 0; i < ITERATIONS; i++) status.push(await timeIt(() => run(MC_BIN, ["status"], { env: { ...process.env, ...daemon.env } })));
  record(`mc status with ${total} apps`, "ms", "≤ 150 ms", status);
  const rss = Number((await run("ps", ["-o", "rss=", "-p", String(await daemonPid(daemon))])).stdout.trim()) / 1024;
  rows.push({ name: `mcd RSS with ${total} apps`, subject: { median: round(rss), p99: round(rss), n: 1 }, unit: "MB", goal: "≤ 150 MB" });
}

/** `docker run -d` of the scale benchmark's container (16m, 0.05 CPU) on the tenant network until it answers, five times. */
async function engineStarts(daemon: TestDaemon): Promise<number[]> {
  const [network] = await docker.listNetworks({ filters: { label: [`minicloud.prefix=${daemon.prefix}`, "minicloud.tenant=default"] } });
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    let id = "";
    samples.push(
      await timeIt(async () => {
        id = (
          await run("docker", [
            "run",
            "-d",
            "--label",
            `minicloud.prefix=${daemon.prefix}`,
            "--network",
            network?.Name ?? "bridge",
            "--memory",
            "16m",
            "--cpus",
            "0.05",
            SAMPLE_IMAGE,
          ])
        ).stdout.trim();
        const ip = (await run("docker", ["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", id])).stdout.trim();
        await waitFor200(`http://${ip}:8080/`);
      }),
    );
    await run("docker", ["rm", "-f", id]);
  }
  return samples;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `s${from + i}`);

/** Median of each step of these apps' deploys, from the daemon's "release deployed" log lines. */
function deployPhases(daemon: TestDaemon, apps: string[]): Record<string, number> {
  const wanted = new Set(apps);
  const samples = new Map<string, number[]>();
  for (const line of daemon.output.split("\n")) {
    if (!line.includes('"release deployed"')) continue;
    const entry = JSON.parse(line) as { app: string; ms: Record<string, number> };
    if (!wanted.has(entry.app)) continue;
    for (const [phase, ms] of Object.entries(entry.ms)) samples.set(phase, [...(samples.get(phase) ?? []), ms]);
  }
  return Object.fromEntries([...samples].map(([phase, values]) => [phase, summarise(values).median]));
}

/** The daemon's steps of the deploy group's deploys (medians, ms). */
let deploySteps: Record<string, number> | undefined;
let phases: { early: Record<string, number>; late: Record<string, number> } | undefined;

async function daemonPid(daemon: TestDaemon): Promise<number> {
  const { stdout } = await run("pgrep", ["-f", "mcd.js"]);
  for (const pid of stdout.trim().split("\n")) {
    const { stdout: environ } = await run("cat", [`/proc/${pid}/environ`]).catch(() => ({ stdout: "" }));
    if (environ.includes(`MC_PREFIX=${daemon.prefix}`)) return Number(pid);
  }
  throw new Error("daemon process not found");
}

function print(): void {
  const header = ["benchmark", "median", "p99", "baseline", "b. median", "ratio", "goal"];
  const lines = rows.map((r) => [
    r.name,
    `${r.subject.median} ${r.unit}`,
    `${r.subject.p99} ${r.unit}`,
    r.baseline?.name ?? "-",
    r.baseline ? `${r.baseline.median} ${r.unit}` : "-",
    r.ratio === undefined ? "-" : String(r.ratio),
    r.goal,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  for (const line of [header, ...lines]) console.log(line.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  "));
  if (deploySteps) {
    console.log("\nwhere a deploy's time goes (daemon side, medians in ms), the deploy group:");
    for (const [step, ms] of Object.entries(deploySteps)) console.log(`  ${step.padEnd(8)} ${ms}`);
  }
  if (phases) {
    console.log("\nwhere a deploy's time goes (daemon side, medians in ms), early vs late in the scale run:");
    for (const phase of Object.keys(phases.late)) console.log(`  ${phase.padEnd(8)} ${phases.early[phase] ?? "-"} → ${phases.late[phase]}`);
  }
}

const daemon = await TestDaemon.create();
try {
  // The daemon's defaults for health probes, and its info log for the deploy breakdown.
  await daemon.start({ MC_RATE_LIMIT: "100000000", MC_HEALTH_INTERVAL: "5", MC_LOG_LEVEL: "info" });
  if (wanted("cli")) await benchCli(daemon, record);
  if (wanted("deploy")) await benchDeploy(daemon);
  if (wanted("api")) await benchApi(daemon);
  if (wanted("ingress")) await benchIngress(daemon);
  if (wanted("dns")) await benchDns(daemon);
  if (wanted("scale")) await benchScale(daemon);
  if (wanted("storage")) await benchStorage(daemon, record);
  if (wanted("state")) await benchState(record);
  // Its own daemon: sampling on and off is a start-up setting.
  if (wanted("metrics")) await benchMetrics(record);
  if (wanted("images")) await benchImages(daemon, record, waitFor200);
  // Its own daemon too: the log caps are start-up settings. BENCH_LOG_BYTES sizes the stored logs searched.
  if (wanted("logs")) await benchLogs(record);
  // Its own daemon and a tenant of 200 apps, in headless Chromium.
  if (wanted("dashboard")) await benchDashboard(record);
  print();
  const machine = {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memoryGiB: round(os.totalmem() / 1024 ** 3),
    node: process.version,
  };
  const engine = (await docker.version()).Version;
  await mkdir(path.join(REPO_ROOT, "bench/results"), { recursive: true });
  // A partial run does not replace the full run's results.
  const file = `bench/results/${only.length > 0 ? `only-${only.join("-")}` : "latest"}.json`;
  await writeFile(
    path.join(REPO_ROOT, file),
    `${JSON.stringify({ date: new Date().toISOString(), machine, engine, rows, deployPhases: phases, deploySteps }, null, 2)}\n`,
  );
  console.log(`\nwrote ${file}`);
} finally {
  await daemon.destroy();
}
