import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { access, readdir, readFile, readlink } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { whoAmICommand } from "../harness/apps.ts";
import { TestDaemon } from "../harness/daemon.ts";
import { containersOf, docker } from "../harness/docker.ts";
import { curl, eventually } from "../harness/http.ts";
import { json, mc } from "../harness/mc.ts";
import { BASE_IMAGE } from "../harness/paths.ts";
import { deployVia } from "../harness/tenant.ts";

/** The local dockerd's pid and command line, when this machine runs its own engine (as scripts/setup does). */
async function localDockerd(): Promise<{ pid: number; argv: string[] } | undefined> {
  if (process.env.DOCKER_HOST) return undefined;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0").filter(Boolean);
    if (argv[0]?.endsWith("dockerd")) return { pid: Number(entry), argv };
  }
  return undefined;
}

async function engineAnswers(): Promise<boolean> {
  return docker.ping().then(
    () => true,
    () => false,
  );
}

/**
 * Runs alone (test/serial/), after the parallel files: restarting the engine would break any test
 * running next to it.
 */
describe("an engine restart: apps come back without anyone asking, volumes and all", async () => {
  const engine = await localDockerd();
  let daemon: TestDaemon;
  before(async () => {
    if (!engine) return;
    daemon = await TestDaemon.create();
    await daemon.start({ MC_RECONCILE_INTERVAL: "3" });
    await deployVia(daemon.client(), { name: "survivor", image: BASE_IMAGE, port: 8080, count: 2, command: whoAmICommand("alive") });
    // An app with a volume, and data in it, to find again after the restart.
    assert.equal((await mc(["volumes", "create", "keep", "--size", "32m"], daemon.env)).code, 0);
    await deployVia(daemon.client(), {
      name: "keeper",
      image: BASE_IMAGE,
      port: 8080,
      command: whoAmICommand("keeper"),
      volumes: [{ name: "keep", path: "/data" }],
    });
    const wrote = await mc(
      ["exec", "keeper", "--", "sh", "-c", "head -c 4000000 /dev/urandom > /data/blob && cd /data && sha256sum blob > blob.sum"],
      daemon.env,
    );
    assert.equal(wrote.code, 0, wrote.stderr);
  });
  after(async () => {
    if (engine) await daemon.destroy();
  });

  test("dockerd stopped and started again → the app's instances run and serve again", {
    skip: engine ? false : "no local dockerd to restart (DOCKER_HOST is set or the engine is elsewhere)",
  }, async () => {
    if (!engine) return;
    assert.equal((await curl(daemon.url("survivor"))).status, 200);
    const executable = await readlink(`/proc/${engine.pid}/exe`);
    process.kill(engine.pid, "SIGTERM");
    // Gone for good (its pid file too), not just no longer answering.
    const exited = await eventually(
      () =>
        access(`/proc/${engine.pid}`).then(
          () => false,
          () => true,
        ),
      (gone) => gone,
      60_000,
    );
    assert.ok(exited, "dockerd stopped");
    const log = openSync("/var/log/dockerd.log", "a");
    const restarted = spawn(executable, engine.argv.slice(1), { detached: true, stdio: ["ignore", log, log] });
    restarted.on("error", (error) => assert.fail(`could not start dockerd again: ${error.message}`));
    restarted.unref();
    assert.ok(await eventually(engineAnswers, (up) => up, 60_000), "the engine is back");

    const back = await eventually(
      () => curl(daemon.url("survivor")),
      (response) => response.status === 200,
      60_000,
    );
    assert.equal(back.status, 200, "the app serves again through the ingress");
    assert.match(back.body, /^alive /);
    const running = await eventually(
      () => containersOf(daemon.prefix, ["minicloud.app=survivor"]),
      (list) => list.length === 2 && list.every((c) => c.State === "running"),
      30_000,
    );
    assert.equal(running.filter((c) => c.State === "running").length, 2);
    const status = json<{ instances: { state: string }[] }>((await mc(["status", "survivor", "--json"], daemon.env)).stdout);
    assert.ok(
      status.instances.every((i) => i.state === "running"),
      JSON.stringify(status.instances),
    );
  });
  test("after the same restart, the app with a volume runs with the volume mounted and its data there", {
    skip: engine ? false : "no local dockerd to restart (DOCKER_HOST is set or the engine is elsewhere)",
  }, async () => {
    if (!engine) return;
    const app = await eventually(
      () => mc(["status", "keeper", "--json"], daemon.env).then((r) => json<{ instances: { state: string }[] }>(r.stdout)),
      (a) => a.instances.length === 1 && a.instances.every((i) => i.state === "running"),
      60_000,
    );
    assert.deepEqual(
      app.instances.map((i) => i.state),
      ["running"],
    );
    // Read inside the container: the data is in what it mounts, not in an empty directory under the mount point.
    const read = await mc(
      ["exec", "keeper", "--", "sh", "-c", "cd /data && sha256sum -c blob.sum && grep -q ' /data ' /proc/mounts"],
      daemon.env,
    );
    assert.equal(read.code, 0, `${read.stdout}${read.stderr}`);
    const volume = json<{ attachedTo: { app: string } | null; used: number | null }>(
      (await mc(["volumes", "show", "keep", "--json"], daemon.env)).stdout,
    );
    assert.equal(volume.attachedTo?.app, "keeper");
    assert.ok((volume.used ?? 0) >= 4_000_000, `the volume is mounted on the host with the data: used ${volume.used}`);
    const write = await mc(["exec", "keeper", "--", "sh", "-c", "echo after > /data/after"], daemon.env);
    assert.equal(write.code, 0, write.stderr);
  });
});
