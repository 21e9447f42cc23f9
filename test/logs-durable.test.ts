import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { eventually } from "./harness/http.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE, MC_BIN } from "./harness/paths.ts";
import { createTenant, deployVia, type TestTenant } from "./harness/tenant.ts";

const MB = 1024 * 1024;
/** Small caps, so a flood reaches them within the test. */
const LOG_BYTES_PER_TENANT = 96 * MB;
const LOG_RATE = 8 * MB;
const SETTINGS = { MC_LOG_BYTES_PER_TENANT: "96m", MC_LOG_RATE: "8m" };

interface Line {
  ts: string;
  instance: string;
  stream: string;
  line: string;
  release: number;
}

const lines = (stdout: string): Line[] =>
  stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => json<Line>(l));

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? await dirBytes(full) : (await stat(full)).size;
  }
  return total;
}

describe("durable logs: kept by the daemon, searchable, capped", () => {
  let daemon: TestDaemon;
  let other: TestTenant;
  let flooder: TestTenant;

  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start(SETTINGS);
    other = await createTenant(daemon, "other");
    flooder = await createTenant(daemon, "flood");
  });

  after(async () => {
    await daemon?.destroy();
  });

  test("lines of a replaced release are still there after a redeploy; --release and --instance narrow the read", async () => {
    await deployVia(daemon.client(), { name: "web", image: BASE_IMAGE, command: ["sh", "-c", "echo release-one-line; exec sleep 3600"] });
    await deployVia(daemon.client(), {
      name: "web",
      image: BASE_IMAGE,
      count: 2,
      command: ["sh", "-c", "echo release-two-line; exec sleep 3600"],
    });
    const all = await mc(["logs", "web", "--json"], daemon.env);
    assert.equal(all.code, 0, all.stderr);
    const read = lines(all.stdout);
    assert.equal(read.filter((l) => l.line === "release-one-line").length, 1, "the replaced instance's line is kept");
    assert.equal(read.filter((l) => l.line === "release-two-line").length, 2);

    const first = lines((await mc(["logs", "web", "--release", "1", "--json"], daemon.env)).stdout);
    assert.deepEqual(
      first.map((l) => l.line),
      ["release-one-line"],
    );
    const instance = read.find((l) => l.line === "release-two-line")?.instance ?? "";
    const one = lines((await mc(["logs", "web", "--instance", instance, "--json"], daemon.env)).stdout);
    assert.ok(one.length > 0 && one.every((l) => l.instance === instance), "only that instance's lines");

    // Another tenant cannot read them: the app does not exist for it.
    const foreign = await mc(["logs", "web", "--json"], other.env);
    assert.equal(foreign.code, 1);
    assert.equal(errorOf(foreign).code, "not_found");
  });

  test("-f keeps following across a redeploy: the new release's instances join the stream", async () => {
    const child = spawn(process.execPath, [MC_BIN, "logs", "web", "-f", "--tail", "1", "--json"], {
      env: { ...process.env, ...daemon.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      const seen = (text: string) =>
        new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 60_000);
          const check = () => {
            if (!output.includes(text)) return;
            clearTimeout(timer);
            resolve(true);
          };
          child.stdout.on("data", check);
          check();
        });
      // Following (the running release's newest lines arrived) before the new release starts.
      assert.ok(await seen("release-two-line"), output);
      await deployVia(daemon.client(), {
        name: "web",
        image: BASE_IMAGE,
        command: ["sh", "-c", "echo release-three-line; exec sleep 3600"],
      });
      assert.ok(await seen("release-three-line"), output);
      assert.ok(lines(output).some((l) => l.line === "release-three-line"));
    } finally {
      child.kill();
    }
  });

  test("--grep finds one line among a million, and bad --grep and --since values are refused", async () => {
    // In 100 bursts of 10,000 lines a second: the engine keeps 30 MB of a container's output, and a
    // follower more than one of its 10 MB files behind at a rotation loses that file (the engine's
    // doing); on a busy two-core machine a burst of a million lines outruns any follower (see
    // observability.md).
    await deployVia(daemon.client(), {
      name: "counter",
      image: BASE_IMAGE,
      command: ["sh", "-c", "for i in $(seq 0 99); do seq $((i*10000+1)) $((i*10000+10000)); sleep 1; done; exec sleep 3600"],
    });
    const found = await eventually(
      async () => lines((await mc(["logs", "counter", "--grep", "^777777$", "--json"], daemon.env)).stdout),
      (result) => result.length === 1,
      240_000,
    );
    assert.deepEqual(
      found.map((l) => l.line),
      ["777777"],
    );
    await eventually(
      async () => lines((await mc(["logs", "counter", "--tail", "1", "--json"], daemon.env)).stdout)[0]?.line,
      (line) => line === "1000000",
      180_000,
    );
    const last = lines((await mc(["logs", "counter", "--tail", "1", "--json"], daemon.env)).stdout);
    assert.equal(last[0]?.line, "1000000", "every line was kept");

    for (const args of [
      ["--since=-1h"],
      ["--since", "99999999d"],
      ["--since", "yesterday"],
      ["--grep", "(unclosed"],
      ["--grep", "a{1001,}x(?<=y)"],
    ]) {
      const result = await mc(["logs", "counter", ...args], daemon.env);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, args[0]?.startsWith("--since") ? /--since/ : /--grep/);
    }
    const admin = await daemon.adminKey();
    for (const query of ["grep=(unclosed", "since=99999999d", "since=-5m"]) {
      const response = await fetch(`${daemon.tcpUrl}/v1/apps/counter/logs?${query}`, { headers: { authorization: `Bearer ${admin}` } });
      const body = await response.text();
      assert.equal(response.status, 400, `${query}: ${body}`);
      assert.match(body, query.startsWith("grep") ? /grep/ : /since/);
    }
  });

  test("a pathological regex on long lines answers (RE2: linear time)", async () => {
    // 200 lines of 8,192 a's and a "!" (the engine splits lines past 16 KiB): (a+)+$ backtracks exponentially on each in a backtracking engine.
    await deployVia(daemon.client(), {
      name: "longlines",
      image: BASE_IMAGE,
      command: ["sh", "-c", 'l=a; for i in $(seq 13); do l=$l$l; done; for i in $(seq 200); do echo "$l!"; done; exec sleep 3600'],
    });
    await eventually(
      async () => lines((await mc(["logs", "longlines", "--tail", "1", "--json"], daemon.env)).stdout),
      (result) => result.length === 1,
      30_000,
    );
    const result = await mc(["logs", "longlines", "--grep", "(a+)+$", "--json"], daemon.env, { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(lines(result.stdout).length, 0, "no line ends in a");
    const matching = await mc(["logs", "longlines", "--grep", "(a+)+!$", "--json"], daemon.env, { timeoutMs: 60_000 });
    assert.equal(lines(matching.stdout).length, 200);
  });

  test("a flooding container: daemon memory and the tenant's log bytes stay capped, drops are counted, another app is unaffected", async (t) => {
    await deployVia(flooder.client(), { name: "quiet", image: BASE_IMAGE, command: ["sh", "-c", "echo quiet-before; exec sleep 3600"] });
    const pid = daemon.pid;
    const start = await rssBytes(pid);
    let peak = start;
    const sampling = setInterval(() => {
      void rssBytes(pid).then((rss) => (peak = Math.max(peak, rss)));
    }, 200);
    try {
      // ~300 MB of 1,000-character lines as fast as the engine takes them, then quiet.
      const line = "x".repeat(999);
      await deployVia(flooder.client(), {
        name: "flood",
        image: BASE_IMAGE,
        command: ["sh", "-c", `yes ${line} | head -c 300000000; echo flood-done; exec sleep 3600`],
      });
      // Every 2 s: each read searches all the flood's stored lines, and mcd also has to collect them.
      let done = "";
      for (const deadline = Date.now() + 240_000; !done.includes("flood-done") && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        done = (await mc(["logs", "flood", "--grep", "flood-done|lines dropped", "--json"], flooder.env, { timeoutMs: 120_000 })).stdout;
      }
      const markers = lines(done).filter((l) => /^\[minicloud\] … \d+ lines dropped: instance \w+ wrote more than 8m/.test(l.line));
      assert.ok(markers.length > 0, "the dropped lines are counted in a visible line");
    } finally {
      clearInterval(sampling);
    }
    const growth = peak - start;
    t.diagnostic(`mcd RSS ${Math.round(start / MB)} MB → peak ${Math.round(peak / MB)} MB during the flood`);
    assert.ok(growth < 200 * MB, `mcd grew by ${Math.round(growth / MB)} MB (bound: 200 MB)`);

    const onDisk = await dirBytes(path.join(daemon.dir, "app-logs", "flood"));
    t.diagnostic(`tenant flood holds ${Math.round(onDisk / MB)} MB of logs (cap ${LOG_BYTES_PER_TENANT / MB} MB)`);
    // The cap, plus one segment being written and one write in flight.
    assert.ok(onDisk <= LOG_BYTES_PER_TENANT + 8 * MB, `${onDisk} bytes on disk`);
    const quota = json<{ usage: { logs: number } }>((await mc(["quota", "--json"], flooder.env)).stdout);
    assert.ok(
      quota.usage.logs > LOG_RATE && quota.usage.logs <= LOG_BYTES_PER_TENANT + 8 * MB,
      `mc quota counts logs: ${quota.usage.logs}`,
    );

    const quiet = lines((await mc(["logs", "quiet", "--json"], flooder.env)).stdout);
    assert.deepEqual(
      quiet.map((l) => l.line),
      ["quiet-before"],
      "the quiet app's lines survive the other app's flood",
    );
  });

  test("kill -9 of the daemon: every line up to the kill, and those written while it was down, are there after a restart", async () => {
    await deployVia(daemon.client(), {
      name: "ticker",
      image: BASE_IMAGE,
      command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.05; done"],
    });
    const ticks = async () =>
      lines((await mc(["logs", "ticker", "--grep", "^tick-", "--json"], daemon.env)).stdout).map((l) => Number(l.line.slice(5)));
    await eventually(ticks, (seen) => seen.length >= 40, 30_000);
    await daemon.restart("SIGKILL", SETTINGS);
    const after = await ticks();
    assert.ok(after.length >= 40, `ticks after the restart: ${after.length}`);
    assert.deepEqual(
      after,
      after.map((_, i) => i + 1),
      "every tick once, in order, no gap across the kill",
    );
  });
});
