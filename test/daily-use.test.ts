import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf } from "./harness/docker.ts";
import { curl, eventually } from "./harness/http.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE, MC_BIN, SAMPLE_IMAGE } from "./harness/paths.ts";

interface AppJson {
  name: string;
  count: number;
  memory: number;
  cpus: number;
  port: number | null;
  protocol: string;
  envKeys: string[];
  command: string[] | null;
  url: string | null;
  internalAddress: string | null;
  release: number;
  operation: string | null;
  changes: { field: string; from: string | null; to: string | null }[];
  instances: { id: string; state: string; health: string; url: string | null }[];
}

interface LogLine {
  ts: string;
  instance: string;
  line: string;
}

/** Prints a start line (its hostname: the instance) and then a tick every 200 ms. */
const TICKER = ["sh", "-c", 'echo "start $(hostname)"; i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'];

/** Runs the built mc the way a shell does: through its own shebang line, not `node run.js`. */
function mcDirect(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(MC_BIN, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env }, cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A long-running mc (no TTY), its exit code or signal once it ends. */
function startMc(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; exited: Promise<number | string> } {
  const child = spawn(process.execPath, ["--", MC_BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, exited };
}

/** Collects JSON lines from a child's stdout as they arrive. */
function collectLines<T>(child: ChildProcess): T[] {
  const lines: T[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
    if (text.trim()) lines.push(JSON.parse(text) as T);
  });
  return lines;
}

function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  return eventually(
    async () => check(),
    (ok) => ok,
    timeoutMs,
  ).then((ok) => assert.ok(ok, `timed out waiting for ${what}`));
}

describe("daily use: the CLI as a demanding user drives it", () => {
  let daemon: TestDaemon;
  let dir: string;
  before(async () => {
    daemon = await TestDaemon.create();
    // An existing data dir readable by others: the daemon must tighten it.
    await chmod(daemon.dir, 0o755);
    await daemon.start();
    dir = await mkdtemp(path.join(os.tmpdir(), "mc-daily-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await daemon.destroy();
    assert.equal((await containersOf(daemon.prefix)).length, 0, "no container of the test prefix is left");
  });

  test("a redeploy with only --image keeps count, memory, CPUs, env and command, and says what changed; --reset starts over", async () => {
    const first = await mc(
      ["deploy", "keep", "--image", BASE_IMAGE, "--count", "2", "--memory", "96m", "--cpus", "0.25", "--env", "A=1", "--env", "B=2"].concat(
        ["--command", "sh -c 'exec sleep 3600'", "--json"],
      ),
      daemon.env,
    );
    assert.equal(first.code, 0, first.stderr);
    const second = await mc(["deploy", "keep", "--image", BASE_IMAGE, "--env", "B=3", "--json"], daemon.env);
    assert.equal(second.code, 0, second.stderr);
    const app = json<AppJson>(second.stdout);
    assert.deepEqual(
      { count: app.count, memory: app.memory, cpus: app.cpus, envKeys: app.envKeys, command: app.command },
      { count: 2, memory: 96 * 1024 ** 2, cpus: 0.25, envKeys: ["A", "B"], command: ["sh", "-c", "exec sleep 3600"] },
    );
    assert.deepEqual(app.changes, [{ field: "env.B", from: "(set)", to: "(changed)" }], "only B changed; its value is never shown");
    assert.equal(app.instances.length, 2);

    const human = await mc(["deploy", "keep", "--image", BASE_IMAGE, "--count", "1", "--unset-env", "A"], daemon.env);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /count 2 → 1/);
    assert.match(human.stdout, /env\.A removed/);
    assert.match(human.stdout, /no URL: keep has no port/);
    const releases = json<{ releases: { changes: unknown[] }[] }>((await mc(["releases", "keep", "--json"], daemon.env)).stdout);
    assert.equal(releases.releases.at(-1)?.changes.length, 2, "the release records what it changed");

    const reset = json<AppJson>(
      (await mc(["deploy", "keep", "--image", BASE_IMAGE, "--reset", "--command", "sleep 3600", "--json"], daemon.env)).stdout,
    );
    assert.deepEqual(
      { count: reset.count, memory: reset.memory, envKeys: reset.envKeys },
      { count: 1, memory: 256 * 1024 ** 2, envKeys: [] },
    );
    assert.equal((await mc(["apps", "destroy", "keep", "--yes"], daemon.env)).code, 0);
  });

  test("--env-file reads a dotenv file (never taken as a Node option); a missing one is exit 2", async () => {
    await writeFile(path.join(dir, ".env"), '# settings\nDATABASE_URL=postgres://db/app\nQUOTED="two words"\nexport EXPORTED=yes\n');
    const result = await mcDirect(
      ["deploy", "envy", "--image", BASE_IMAGE, "--command", "sleep 3600", "--env-file", ".env", "--json"],
      daemon.env,
      dir,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(json<AppJson>(result.stdout).envKeys, ["DATABASE_URL", "EXPORTED", "QUOTED"]);
    const missing = await mcDirect(["deploy", "envy", "--env-file", "nope.env"], daemon.env, dir);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /--env-file nope\.env: no such file/);
    assert.equal((await mc(["destroy", "envy", "--yes"], daemon.env)).code, 0, "`mc destroy` is `mc apps destroy`");
  });

  test("a TCP service declares its port: a TCP connect check, no ingress route, its internal address in status", async () => {
    const noPort = await mc(["deploy", "db", "--image", BASE_IMAGE, "--protocol", "tcp", "--command", "sleep 3600"], daemon.env);
    assert.equal(noPort.code, 2);
    assert.match(noPort.stderr, /a tcp app needs the port it listens on/);
    // busybox nc answers TCP but not HTTP: an HTTP probe would never pass.
    const result = await mc(
      [
        "deploy",
        "db",
        "--image",
        BASE_IMAGE,
        "--protocol",
        "tcp",
        "--port",
        "5432",
        "--command",
        "nc -ll -p 5432 -e echo hello",
        "--health-timeout",
        "20s",
        "--json",
      ],
      daemon.env,
    );
    assert.equal(result.code, 0, result.stderr);
    const app = json<AppJson>(result.stdout);
    assert.equal(app.protocol, "tcp");
    assert.equal(app.url, null);
    assert.equal(app.internalAddress, "db.default.internal:5432");
    assert.match(app.instances[0]?.url ?? "", /^tcp:\/\/10\.\d+\.\d+\.\d+:5432$/);
    assert.equal((await curl(daemon.url("db"))).status, 404, "no ingress host for a tcp app");
    const status = await mc(["status", "db"], daemon.env);
    assert.match(status.stdout, /port 5432\/tcp/);
    assert.match(status.stdout, /internal db\.default\.internal:5432/);
    assert.match(status.stdout, /healthy/);
  });

  test("a wrong port fails within --health-timeout, and the message says how to fix it", async () => {
    const result = await mc(["deploy", "late", "--image", SAMPLE_IMAGE, "--port", "9999", "--health-timeout", "2s", "--json"], daemon.env);
    assert.equal(result.code, 1);
    assert.equal(errorOf(result).code, "unhealthy");
    assert.match(errorOf(result).message, /did not answer HTTP on port 9999 at \/ within 2s/);
    assert.match(errorOf(result).message, /--protocol tcp/);
    assert.equal((await mc(["status", "late"], daemon.env)).code, 1, "a failed first deploy leaves no app");
  });

  test("--detach answers once the release is recorded; events tell the outcome", async () => {
    const result = await mc(["deploy", "bg", "--image", SAMPLE_IMAGE, "--detach", "--json"], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(json<AppJson>(result.stdout).operation, "deploy");
    const events = await eventually(
      async () =>
        json<{ type: string }[]>(`[${(await mc(["events", "--app", "bg", "--json"], daemon.env)).stdout.trim().split("\n").join(",")}]`),
      (list) => list.some((e) => e.type === "deploy.succeeded"),
      30_000,
    );
    assert.ok(events.some((e) => e.type === "deploy.succeeded"));
    assert.equal((await curl(daemon.url("bg"))).status, 200);
  });

  test("mc open prints the URL where there is no desktop; a stopped app has none", async () => {
    await mc(["deploy", "site", "--image", SAMPLE_IMAGE], daemon.env);
    const open = await mc(["open", "site"], daemon.env);
    assert.equal(open.code, 0, open.stderr);
    assert.equal(open.stdout.trim(), daemon.url("site"));
    const stop = await mc(["stop", "site"], daemon.env);
    assert.match(stop.stdout, /site stopped: 0\/1 instance\(s\) running/);
    const none = await mc(["open", "site"], daemon.env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /site has no URL: it is stopped/);
    const start = await mc(["start", "site"], daemon.env);
    assert.match(start.stdout, /✔ site started: 1\/1 instance\(s\) running, 1 healthy/);
    const restart = await mc(["restart", "site", "--json"], daemon.env);
    assert.equal(restart.code, 0, restart.stderr);
    const events = (await mc(["events", "--app", "site", "--json"], daemon.env)).stdout;
    assert.match(events, /"type":"app\.restarted"/, "mc restart is an event");
  });

  test("scaling past the quota names what the app holds and would hold, in the error and the event", async () => {
    assert.equal((await mc(["tenants", "create", "small", "--max-instances", "3", "--json"], daemon.env)).code, 0);
    const env = { ...daemon.env, MC_TENANT: "small" };
    assert.equal((await mc(["deploy", "one", "--image", BASE_IMAGE, "--command", "sleep 3600"], env)).code, 0);
    assert.equal((await mc(["deploy", "two", "--image", BASE_IMAGE, "--command", "sleep 3600"], env)).code, 0);
    const result = await mc(["scale", "two", "--count", "4", "--json"], env);
    assert.equal(result.code, 1);
    const expected =
      /quota exceeded for instances in tenant small: two would hold 4 \(it holds 1\), the tenant's other apps hold 1, the limit is 3/;
    assert.match(errorOf(result).message, expected);
    const events = (await mc(["events", "--app", "two", "--json"], env)).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.match(events.find((e: { type: string }) => e.type === "quota.rejected")?.message ?? "", expected);
    assert.equal((await mc(["tenants", "delete", "small", "--yes"], daemon.env)).code, 0);
  });

  test("logs -f keeps following across a redeploy and a restart, merged in time order", async () => {
    const name = `tick${randomBytes(3).toString("hex")}`;
    assert.equal(
      (await mc(["deploy", name, "--image", BASE_IMAGE, "--count", "2", "--command", TICKER.map((w) => `'${w}'`).join(" ")], daemon.env))
        .code,
      0,
    );
    const follower = startMc(["logs", name, "-f", "--json"], daemon.env);
    const lines = collectLines<LogLine>(follower.child);
    try {
      await waitFor(() => new Set(lines.map((l) => l.instance)).size >= 2, "lines of both instances");
      const redeploy = json<AppJson>((await mc(["deploy", name, "--image", BASE_IMAGE, "--env", "V=2", "--json"], daemon.env)).stdout);
      const fresh = redeploy.instances.map((i) => i.id);
      await waitFor(
        () => fresh.every((id) => lines.some((l) => l.instance === id && l.line.startsWith("start"))),
        "the new release's instances",
      );
      const restarted = fresh[0] as string;
      await mc(["restart", name], daemon.env);
      await waitFor(
        () => lines.filter((l) => l.instance === restarted && l.line.startsWith("start")).length >= 2,
        "the restarted instance again",
      );
      assert.equal(follower.child.exitCode, null, "still following");
      const times = lines.map((l) => Date.parse(l.ts));
      const worst = Math.max(0, ...times.map((t, i) => (i === 0 ? 0 : (times[i - 1] as number) - t)));
      assert.equal(worst, 0, `lines leave in time order (the worst step back was ${worst} ms)`);
      await mc(["apps", "destroy", name, "--yes"], daemon.env);
      assert.equal(await follower.exited, 0, "the stream ends when the app is gone");
    } finally {
      follower.child.kill("SIGKILL");
    }
  });

  test("every command ends on SIGINT, SIGTERM and SIGHUP with 130, 143 and 129", async () => {
    for (const [signal, code] of [
      ["SIGINT", 130],
      ["SIGTERM", 143],
      ["SIGHUP", 129],
    ] as const) {
      const follower = startMc(["events", "-f"], daemon.env);
      await new Promise((resolve) => follower.child.stdout?.once("data", resolve));
      follower.child.kill(signal);
      assert.equal(await follower.exited, code, signal);
    }
    const watch = startMc(["status", "--watch", "--interval", "1", "--json"], daemon.env);
    const snapshots = collectLines<{ apps: unknown[] }>(watch.child);
    await waitFor(() => snapshots.length >= 2, "two snapshots from status --watch");
    watch.child.kill("SIGTERM");
    assert.equal(await watch.exited, 143);
  });

  test("in a terminal that reports 0 columns, stop and scale finish (no spinner) and exit 0", async () => {
    await mc(["deploy", "pty", "--image", BASE_IMAGE, "--command", "sleep 3600"], daemon.env);
    const env = { ...process.env, ...daemon.env, NO_COLOR: "1" };
    const script = `stty cols 0 rows 0; ${process.execPath} -- ${MC_BIN} scale pty --count 2; echo "EXIT=$?"; ${process.execPath} -- ${MC_BIN} stop pty; echo "EXIT=$?"`;
    const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn("script", ["-qfec", script, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
    assert.equal(run.output.match(/EXIT=0/g)?.length, 2, run.output.slice(-500));
    assert.match(run.output, /pty scaled: 2\/2 instance\(s\) running/);
    assert.match(run.output, /pty stopped/);
    assert.ok(run.output.split("\u001b[1A").length < 5, "no cursor-up storm");
  });

  test("on a real terminal, a deploy shows its phase and the health check's remaining time", async () => {
    // CI runners set CI, which (rightly) turns animation off: this test is about a person's terminal.
    const { CI: _ci, ...personal } = process.env;
    const env = { ...personal, ...daemon.env, NO_COLOR: "1" };
    const script = `stty cols 120 rows 40; ${process.execPath} -- ${MC_BIN} deploy slow --image ${SAMPLE_IMAGE} --port 9999 --health-timeout 3s; echo "EXIT=$?"`;
    const output = await new Promise<string>((resolve) => {
      const child = spawn("script", ["-qfec", script, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
      let text = "";
      child.stdout.on("data", (chunk) => (text += chunk));
      const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
      child.once("close", () => {
        clearTimeout(timer);
        resolve(text);
      });
    });
    assert.match(output, /Release 1: starting 1 instance\(s\) of minicloud\/hello:latest — health check: \ds left/);
    assert.match(output, /EXIT=1/);
  });

  test("an out-of-memory kill is named, with the limit, in the event and in status", async () => {
    // The shell builds a 100 MB string in a 16 MiB container: the kernel kills it, the daemon restarts it.
    const hog = "sh -c 'sleep 4; x=$(yes aaaaaaaaaaaaaaaa | head -c 100000000); sleep 3600'";
    const deploy = await mc(["deploy", "hog", "--image", BASE_IMAGE, "--memory", "16m", "--command", hog], daemon.env);
    assert.equal(deploy.code, 0, deploy.stderr);
    const events = await eventually(
      async () => (await mc(["events", "--app", "hog", "--json"], daemon.env)).stdout,
      (text) => text.includes("instance.crashed"),
      30_000,
    );
    assert.match(events, /was killed: out of memory \(limit 16m\)/);
    const status = await mc(["status", "hog"], daemon.env);
    assert.match(status.stdout, /out of memory \(limit 16m\)/);
    const app = json<{ instances: { lastExit: { outOfMemory: boolean } | null }[] }>(
      (await mc(["status", "hog", "--json"], daemon.env)).stdout,
    );
    assert.equal(app.instances[0]?.lastExit?.outOfMemory, true);
    const logs = await mc(["logs", "hog"], daemon.env);
    assert.match(logs.stdout, /\[minicloud\] instance \w+ of hog was killed: out of memory \(limit 16m\)/, "mc logs says so too");
    assert.equal((await mc(["destroy", "hog", "--yes"], daemon.env)).code, 0);
    const early = await mc(
      ["deploy", "hog", "--image", BASE_IMAGE, "--memory", "16m", "--command", hog.replace("sleep 4", "true"), "--json"],
      daemon.env,
    );
    assert.match(
      errorOf(early).message,
      /ran out of memory \(limit 16m\) and was killed — give it more with --memory/,
      "a deploy says so too",
    );
  });

  test("files at rest are the daemon's own: the data dir 0700, state, keys, logs, pids and zones 0600", async () => {
    assert.equal((await stat(daemon.dir)).mode & 0o777, 0o700, "an existing data dir is tightened");
    const files: string[] = [];
    const walk = async (at: string): Promise<void> => {
      for (const entry of await readdir(at, { withFileTypes: true })) {
        const full = path.join(at, entry.name);
        if (entry.isDirectory() && entry.name !== "volumes" && entry.name !== "caddy") await walk(full);
        else if (entry.isFile()) files.push(full);
      }
    };
    await walk(daemon.dir);
    for (const name of ["state.json", "state.journal", "admin.key", "mcd.toml"]) {
      assert.ok(
        files.some((f) => f === path.join(daemon.dir, name)),
        `${name} exists`,
      );
    }
    const open = [];
    // mcd.out is the harness's capture of the daemon's stdout, not a file the daemon makes.
    for (const file of files.filter((f) => !f.endsWith("/mcd.out"))) if (((await stat(file)).mode & 0o077) !== 0) open.push(file);
    assert.deepEqual(open, [], "no file of the daemon is readable by others");
  });

  test("a tenant cannot lock itself out by revoking its last key with itself, unless it insists", async () => {
    const created = json<{ apiKey: { id: string; key: string } }>((await mc(["tenants", "create", "lonely", "--json"], daemon.env)).stdout);
    const env = { MC_HOST: daemon.tcpUrl, MC_API_KEY: created.apiKey.key, XDG_CONFIG_HOME: dir };
    const refused = await mc(["keys", "revoke", created.apiKey.id, "--json"], env);
    assert.equal(errorOf(refused).code, "conflict");
    assert.match(errorOf(refused).message, /last active key and the one you are using/);
    assert.equal((await mc(["whoami"], env)).code, 0, "the key still works");
    assert.equal((await mc(["keys", "revoke", created.apiKey.id, "--force"], env)).code, 0);
    assert.equal((await mc(["whoami", "--json"], env)).code, 1, "revoked with --force: locked out, as asked");
    assert.equal((await mc(["tenants", "delete", "lonely", "--yes"], daemon.env)).code, 0);
  });

  test("typos get a suggestion and exit 2; bad values are named in plain words before any request", async () => {
    const command = await mc(["deplyo", "web"], daemon.env);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /Did you mean `mc deploy`\?/);
    const flag = await mc(["deploy", "web", "--imag", SAMPLE_IMAGE], daemon.env);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown flag --imag — did you mean --image\?/);
    const count = await mc(["scale", "web", "--count", "many"], daemon.env);
    assert.equal(count.code, 2);
    assert.match(count.stderr, /--count takes a whole number such as 3, got "many"/);
    assert.doesNotMatch(count.stderr, /NaN|received/);
    const destroy = await mc(["apps", "destroy", "site"], daemon.env);
    assert.equal(destroy.code, 2, "no TTY and no --yes: refused, like tenants delete");
    assert.match(destroy.stderr, /pass --yes/);
    const completion = await mc(["autocomplete", "bash"], { ...daemon.env, HOME: dir });
    assert.equal(completion.code, 0, completion.stderr);
    assert.match(completion.stdout, /mc autocomplete script bash/);
    const functions = await readFile(path.join(dir, ".cache/minicloud/autocomplete/functions/bash/mc.bash"), "utf8");
    assert.match(functions, /deploy/, "the completion knows the commands");
  });
});
