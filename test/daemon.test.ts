import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort } from "./harness/daemon.ts";
import { removeAllOf } from "./harness/docker.ts";
import { json, mc } from "./harness/mc.ts";

describe("mc daemon start|status|stop and mcd's start-up errors", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const prefix = `t${Date.now().toString(36)}`;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "mc-daemon-"));
    env = {
      MC_DATA_DIR: dir,
      MC_SOCKET: path.join(dir, "run/mcd.sock"),
      MC_LISTEN: `127.0.0.1:${await freePort()}`,
      MC_PREFIX: prefix,
      ...(await networkPorts()),
      XDG_CONFIG_HOME: path.join(dir, "config"),
    };
  });
  after(async () => {
    await mc(["daemon", "stop", "--all"], env);
    await removeAllOf(prefix);
    await rm(dir, { recursive: true, force: true });
  });

  test("status before start says it is not running and exits 1", async () => {
    const result = await mc(["daemon", "status"], env);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /not running/);
    assert.match(result.stdout, /mc daemon start/);
  });

  test("start runs mcd detached, with a 0600 socket and a 0600 admin key file", async () => {
    const result = await mc(["daemon", "start", "--json"], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(json<{ started: boolean }>(result.stdout).started, true);
    assert.equal((await stat(path.join(dir, "run/mcd.sock"))).mode & 0o777, 0o600);
    assert.equal((await stat(path.join(dir, "admin.key"))).mode & 0o777, 0o600);

    const status = await mc(["daemon", "status", "--json"], env);
    assert.equal(status.code, 0, status.stderr);
    const body = json<{ running: boolean; health: { engine: string } }>(status.stdout);
    assert.equal(body.running, true);
    assert.equal(body.health.engine, "up");

    const whoami = await mc(["whoami", "--json"], env);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.deepEqual(
      { role: json(whoami.stdout).role, tenant: json(whoami.stdout).tenant, transport: json(whoami.stdout).transport },
      { role: "admin", tenant: "default", transport: "unix" },
    );
  });

  test("a second start finds the running daemon instead of starting another", async () => {
    const result = await mc(["daemon", "start", "--json"], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(json<{ started: boolean }>(result.stdout).started, false);
  });

  test("mcd refuses a TCP port that is taken, naming it", async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      const other = await mkdtemp(path.join(os.tmpdir(), "mc-daemon-port-"));
      const result = await mc(["daemon", "start"], {
        ...env,
        MC_DATA_DIR: other,
        MC_SOCKET: path.join(other, "mcd.sock"),
        MC_LISTEN: `127.0.0.1:${port}`,
        ...(await networkPorts()),
      });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: it is already in use`));
      await rm(other, { recursive: true, force: true });
    } finally {
      blocker.close();
    }
  });

  test("mcd refuses an ingress port that is taken, naming it and the setting", async () => {
    const blocker = net.createServer();
    const ports = await networkPorts();
    await new Promise<void>((resolve) => blocker.listen(Number(ports.MC_HTTPS_PORT), resolve));
    const other = await mkdtemp(path.join(os.tmpdir(), "mc-daemon-ingress-"));
    try {
      const result = await mc(["daemon", "start"], {
        ...env,
        ...ports,
        MC_DATA_DIR: other,
        MC_SOCKET: path.join(other, "mcd.sock"),
        MC_LISTEN: `127.0.0.1:${await freePort()}`,
      });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`ingress cannot listen on :${ports.MC_HTTPS_PORT}: it is already in use.*MC_HTTPS_PORT`));
      assert.equal(await pgrepCaddyOf(other), false, "the Caddy it started is gone again");
    } finally {
      blocker.close();
      await rm(other, { recursive: true, force: true });
    }
  });

  test("mcd refuses to start without a Docker engine and says how to fix it", async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), "mc-daemon-engine-"));
    const result = await mc(["daemon", "start"], {
      ...env,
      MC_DATA_DIR: other,
      MC_SOCKET: path.join(other, "mcd.sock"),
      MC_LISTEN: "127.0.0.1:0",
      DOCKER_HOST: `unix://${other}/no-docker.sock`,
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Docker engine is not reachable/);
    assert.match(result.stderr, /dockerd|DOCKER_HOST/);
    await rm(other, { recursive: true, force: true });
  });

  test("stop shuts mcd down gracefully and removes its socket", async () => {
    const result = await mc(["daemon", "stop", "--json"], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(json<{ stopped: boolean }>(result.stdout).stopped, true);
    await assert.rejects(stat(path.join(dir, "run/mcd.sock")));
    const status = await mc(["daemon", "status"], env);
    assert.equal(status.code, 1);
  });
});

/** Ingress, DNS and registry ports of their own, so this daemon never needs 80/443/53 nor another's registry port. */
async function networkPorts(): Promise<Record<string, string>> {
  return {
    MC_HTTP_PORT: String(await freePort()),
    MC_HTTPS_PORT: String(await freePort()),
    MC_DNS_PORT: String(await freePort()),
    MC_REGISTRY_PORT: String(await freePort()),
  };
}

/** Whether a Caddy started for this data dir still runs. */
async function pgrepCaddyOf(dataDir: string): Promise<boolean> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes("caddy") && cmdline.includes(dataDir)) return true;
  }
  return false;
}
