import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { whoAmICommand } from "./harness/apps.ts";
import { freePort, TestDaemon } from "./harness/daemon.ts";
import { curl, eventually } from "./harness/http.ts";
import { steadyLoad } from "./harness/load.ts";
import { json, mc } from "./harness/mc.ts";
import { BASE_IMAGE, MCD_BIN } from "./harness/paths.ts";
import { publishSharedImages } from "./harness/published-images.ts";
import { deployVia } from "./harness/tenant.ts";

interface StatusJson {
  running: boolean;
  pid: number;
  health: { components: Record<"ingress" | "dns", { state: string; pid: number; restarts: number; adopted: boolean }> };
  settings: { settings: { key: string; value: string | null; source: string; file: string | null }[]; files: { path: string }[] };
}

/** Whether a process runs (an exited one that is not reaped yet does not). */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat !== "" && !/^\S+ \(.*\) [ZX]/.test(stat);
}

/** Caddy and CoreDNS processes started for this data dir (their command lines name it). */
async function supervisedOf(dataDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || !(await alive(Number(entry)))) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (/(caddy|coredns|docker-registry)$/.test(argv[0] ?? "") && argv.some((arg) => arg.startsWith(`${dataDir}/`)))
      found.push(`${argv[0]} ${entry}`);
  }
  return found;
}

/**
 * `mc daemon start|stop|restart` as a user runs them, on an isolated data dir and ports: settings
 * persist, and Caddy and CoreDNS keep serving through a restart (or a crash) of mcd.
 */
describe("the daemon as a service: settings persist, restarts and crashes keep every URL up", () => {
  let daemon: TestDaemon;
  let env: NodeJS.ProcessEnv;
  let hostsFile: string;
  const pids = async () => ({ caddy: await daemon.childPid("caddy"), coredns: await daemon.childPid("coredns") });
  const status = async () => {
    const result = await mc(["daemon", "status", "--json"], env);
    assert.equal(result.code, 0, result.stderr || result.stdout);
    return json<StatusJson>(result.stdout);
  };
  const setting = (body: StatusJson, key: string) => body.settings.settings.find((s) => s.key === key);

  before(async () => {
    daemon = await TestDaemon.create();
    // Info: the log says what a restart did with Caddy and CoreDNS.
    env = { ...daemon.env, MC_LOG_LEVEL: "info" };
    hostsFile = path.join(daemon.dir, "hosts");
    await writeFile(hostsFile, "127.0.0.1 localhost\n");
    const started = await mc(["daemon", "start", "--json"], { ...env, MC_HOSTS_FILE: hostsFile });
    assert.equal(started.code, 0, started.stderr);
    // Started by `mc daemon start`, not the harness: the base image is published here (docs/images.md).
    const admin = daemon.client();
    await publishSharedImages(admin).finally(() => admin.close());
    await deployVia(daemon.client(), { name: "web", image: BASE_IMAGE, port: 8080, count: 2, command: whoAmICommand("v1") });
  });
  after(async () => {
    await mc(["daemon", "stop", "--all"], env);
    const pid = Number((await readFile(path.join(daemon.dir, "mcd.pid"), "utf8").catch(() => "")).trim());
    if (pid > 0 && (await alive(pid))) process.kill(pid, "SIGKILL");
    await daemon.destroy();
  });

  test("settings given at the first start are kept by the next one: status shows them and where they came from", async () => {
    assert.match(await readFile(hostsFile, "utf8"), /127\.0\.0\.1 web\.default\.localhost/);
    assert.equal((await mc(["daemon", "stop"], env)).code, 0);
    assert.match(await readFile(path.join(daemon.dir, "mcd.toml"), "utf8"), new RegExp(`^hosts-file = "${hostsFile}"$`, "m"));

    const started = await mc(["daemon", "start"], env); // no MC_HOSTS_FILE this time
    assert.equal(started.code, 0, started.stderr);
    const body = await status();
    assert.deepEqual(setting(body, "hosts-file"), {
      key: "hosts-file",
      env: "MC_HOSTS_FILE",
      value: hostsFile,
      source: "file",
      file: path.join(daemon.dir, "mcd.toml"),
    });
    assert.equal(setting(body, "http-port")?.value, String(daemon.httpPort));
    assert.equal(setting(body, "http-port")?.source, "env");
    assert.equal(setting(body, "rate-limit")?.source, "default");
    assert.deepEqual(
      body.settings.files.map((f) => f.path),
      [path.join(daemon.dir, "mcd.toml"), "/etc/minicloud/mcd.toml"],
    );
    const human = await mc(["daemon", "status"], env);
    assert.match(human.stdout, new RegExp(`hosts-file\\s+${hostsFile}\\s+file ${path.join(daemon.dir, "mcd.toml")}`));

    await deployVia(daemon.client(), { name: "second", image: BASE_IMAGE, port: 8080, command: whoAmICommand("second") });
    assert.match(await readFile(hostsFile, "utf8"), /127\.0\.0\.1 second\.default\.localhost/, "a new app's host lands in the hosts file");
    assert.equal((await mc(["apps", "destroy", "second", "--yes"], env)).code, 0);
  });

  test("an env var overrides the file, and is saved for the next start", async () => {
    const other = path.join(daemon.dir, "hosts2");
    await writeFile(other, "");
    const restarted = await mc(["daemon", "restart"], { ...env, MC_HOSTS_FILE: other });
    assert.equal(restarted.code, 0, restarted.stderr);
    const body = await status();
    assert.deepEqual([setting(body, "hosts-file")?.value, setting(body, "hosts-file")?.source], [other, "env"]);
    assert.match(await readFile(other, "utf8"), /web\.default\.localhost/);
    assert.match(await readFile(path.join(daemon.dir, "mcd.toml"), "utf8"), new RegExp(`^hosts-file = "${other}"$`, "m"));
  });

  test("mc daemon restart under load through the ingress: zero failed requests; Caddy and CoreDNS are adopted, not restarted", async () => {
    const before = await pids();
    const logFile = path.join(daemon.dir, "mcd.log");
    const logStart = (await stat(logFile)).size;
    const load = steadyLoad(daemon.httpPort, "web.default.localhost");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const restarted = await mc(["daemon", "restart", "--json"], env);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.equal(json<{ restarted: boolean }>(restarted.stdout).restarted, true);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const result = await load.stop();
    assert.equal(result.failed, 0, `no failed request: ${result.failures.slice(0, 5).join("; ")}`);
    assert.ok(result.ok > 20, `the load ran (${result.ok} requests)`);
    assert.deepEqual(await pids(), before, "the same Caddy and CoreDNS serve");
    const log = (await readFile(logFile, "utf8")).slice(logStart);
    for (const line of ["adopted the running caddy", "adopted the running coredns", "already serves this configuration: not reloaded"]) {
      assert.ok(log.includes(line), `the log says "${line}"`);
    }
    const { components } = (await status()).health;
    assert.deepEqual(
      [components.ingress.state, components.ingress.adopted, components.dns.state, components.dns.adopted],
      ["running", true, "running", true],
    );
  });

  test("kill -9 of mcd, then mc daemon start, under load: zero failed requests", async () => {
    const before = await pids();
    const load = steadyLoad(daemon.httpPort, "web.default.localhost");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const mcd = (await status()).pid;
    process.kill(mcd, "SIGKILL");
    assert.equal(
      await eventually(
        () => alive(mcd),
        (up) => !up,
      ),
      false,
      "mcd is gone",
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = await mc(["daemon", "start"], env);
    assert.equal(started.code, 0, started.stderr);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const result = await load.stop();
    assert.equal(result.failed, 0, `no failed request: ${result.failures.slice(0, 5).join("; ")}`);
    assert.ok(result.ok > 20, `the load ran (${result.ok} requests)`);
    assert.deepEqual(await pids(), before);
  });

  test("an adopted Caddy is still supervised: killed, it is restarted with every route", async () => {
    const { caddy } = await pids();
    process.kill(caddy, "SIGKILL");
    const back = await eventually(
      () => curl(daemon.url("web")),
      (response) => response.status === 200,
      15_000,
    );
    assert.equal(back.status, 200);
    assert.notEqual((await pids()).caddy, caddy);
    const { ingress } = (await status()).health.components;
    assert.deepEqual([ingress.state, ingress.restarts, ingress.adopted], ["running", 1, false]);
  });

  test("a leftover that does not fit the new settings is replaced (another DNS port)", async () => {
    const { coredns } = await pids();
    assert.equal((await mc(["daemon", "stop"], env)).code, 0);
    const dnsPort = String(await freePort());
    const started = await mc(["daemon", "start"], { ...env, MC_DNS_PORT: dnsPort });
    assert.equal(started.code, 0, started.stderr);
    assert.equal(await alive(coredns), false, "the old CoreDNS is gone");
    assert.notEqual((await pids()).coredns, coredns);
    assert.equal(setting(await status(), "dns-port")?.value, dnsPort);
    const served = await eventually(
      () => curl(daemon.url("web")),
      (response) => response.status === 200,
      10_000,
    );
    assert.match(served.body, /^v1 /, "Caddy resolves the instances at the new port");
    // Back to the harness's port for the tests that follow.
    assert.equal((await mc(["daemon", "restart"], env)).code, 0);
  });

  test("the systemd unit's ExecStart runs mcd with the data dir's settings alone", async () => {
    const unit = await mc(["daemon", "install", "--print"], env);
    assert.equal(unit.code, 0, unit.stderr);
    const execStart = /^ExecStart=(.*)$/m.exec(unit.stdout)?.[1]?.split(" ") ?? [];
    assert.deepEqual(execStart, [process.execPath, MCD_BIN, "--data-dir", daemon.dir, "--socket", daemon.socket]);
    const before = await pids();
    assert.equal((await mc(["daemon", "stop"], env)).code, 0);
    // What systemd would run: no MC_* variables at all, only the unit's PATH.
    const unitPath = /^Environment=PATH=(.*)$/m.exec(unit.stdout)?.[1];
    const child = spawn(execStart[0] as string, execStart.slice(1), { env: { PATH: unitPath }, stdio: "ignore" });
    try {
      const client = daemon.client();
      const health = await eventually(
        () => client.health().catch(() => undefined),
        (answer) => answer !== undefined,
        20_000,
      );
      await client.close();
      assert.ok(health, "mcd started from the unit answers on its socket");
      const body = await status();
      assert.deepEqual(
        ["http-port", "prefix", "domain", "hosts-file"].map((key) => [setting(body, key)?.source, setting(body, key)?.file]),
        Array(4).fill(["file", path.join(daemon.dir, "mcd.toml")]),
      );
      assert.deepEqual(await pids(), before, "it adopted the running Caddy and CoreDNS");
      assert.equal((await curl(daemon.url("web"))).status, 200);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  });

  test("mc daemon stop --all stops mcd, Caddy, CoreDNS and the registry: nothing of this data dir runs", async () => {
    assert.equal((await mc(["daemon", "start"], env)).code, 0);
    assert.equal((await supervisedOf(daemon.dir)).length, 3);
    const stopped = await mc(["daemon", "stop", "--all", "--json"], env);
    assert.equal(stopped.code, 0, stopped.stderr);
    const body = json<{ stopped: boolean; components: { name: string }[] }>(stopped.stdout);
    assert.equal(body.stopped, true);
    assert.deepEqual(body.components.map((c) => c.name).sort(), ["caddy", "coredns", "registry"]);
    assert.deepEqual(await supervisedOf(daemon.dir), []);
    assert.equal((await curl(daemon.url("web"))).status, 0, "the URL is down, as asked");
  });
});

describe("mc daemon install|uninstall: a systemd unit", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "mc-unit-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("install --path writes the unit, --print only prints it, uninstall removes it", async () => {
    const env = { MC_DATA_DIR: path.join(dir, "data"), MC_SOCKET: path.join(dir, "mcd.sock") };
    const file = path.join(dir, "units", "minicloud.service");
    const installed = await mc(["daemon", "install", "--path", file, "--json"], env);
    assert.equal(installed.code, 0, installed.stderr);
    assert.deepEqual(json<{ path: string; written: boolean }>(installed.stdout).path, file);
    const unit = await readFile(file, "utf8");
    assert.equal((await stat(file)).mode & 0o777, 0o644);
    assert.match(
      unit,
      new RegExp(`^ExecStart=${process.execPath} ${MCD_BIN} --data-dir ${env.MC_DATA_DIR} --socket ${env.MC_SOCKET}$`, "m"),
    );
    for (const line of ["Restart=on-failure", "KillMode=process", "WantedBy=multi-user.target", "Type=simple"]) {
      assert.match(unit, new RegExp(`^${line}$`, "m"));
    }
    const printed = await mc(["daemon", "install", "--print", "--path", path.join(dir, "elsewhere.service")], env);
    assert.equal(printed.stdout, unit);
    await assert.rejects(stat(path.join(dir, "elsewhere.service")), "--print writes nothing");

    const removed = await mc(["daemon", "uninstall", "--path", file, "--json"], env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(json<{ removed: boolean }>(removed.stdout).removed, true);
    await assert.rejects(stat(file));
    const again = await mc(["daemon", "uninstall", "--path", file, "--json"], env);
    assert.equal(json<{ removed: boolean }>(again.stdout).removed, false);
  });

  test("a bad value in the settings file: mcd refuses to start with one line naming the key and the file", async () => {
    const data = path.join(dir, "bad");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(data, { recursive: true });
    await writeFile(path.join(data, "mcd.toml"), 'http-port = "eighty"\n');
    const result = await mc(["daemon", "start"], { MC_DATA_DIR: data, MC_SOCKET: path.join(data, "mcd.sock"), MC_LISTEN: "127.0.0.1:0" });
    assert.equal(result.code, 1);
    const message = result.stderr.trim();
    assert.equal(message.split("\n").length, 1, message);
    assert.match(message, new RegExp(`http-port in ${path.join(data, "mcd.toml")} must be a port number \\(0-65535\\), got "eighty"`));
  });
});
