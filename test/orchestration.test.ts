import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { DeployRequest } from "@minicloud/shared";
import { whoAmICommand } from "./harness/apps.ts";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf, docker } from "./harness/docker.ts";
import { curl, eventually } from "./harness/http.ts";
import { steadyLoad } from "./harness/load.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE, SAMPLE_IMAGE } from "./harness/paths.ts";
import { deployVia } from "./harness/tenant.ts";

interface AppJson {
  name: string;
  release: number;
  count: number;
  instances: { id: string; state: string; restarts: number }[];
}
interface EventJson {
  type: string;
  app: string | null;
  release: number | null;
  message: string;
}

function deploy(daemon: TestDaemon, request: DeployRequest) {
  return deployVia(daemon.client(), request);
}

async function events(daemon: TestDaemon, app: string): Promise<EventJson[]> {
  const result = await mc(["events", "--app", app, "--json", "-n", "1000"], daemon.env);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => json<EventJson>(line));
}

const version = (tag: string): DeployRequest => ({ name: "web", image: BASE_IMAGE, port: 8080, count: 2, command: whoAmICommand(tag) });

describe("orchestration: releases, rolling deploys, scaling, self-healing", () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start();
    await deploy(daemon, version("v1"));
  });
  after(async () => {
    await daemon.destroy();
  });

  test("a redeploy under steady load through the ingress fails no request and switches to the new version", async () => {
    const load = steadyLoad(daemon.httpPort, "web.default.localhost");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const client = daemon.client();
    try {
      const app = await client.apps.deploy(version("v2"));
      assert.equal(app.release, 2);
    } finally {
      await client.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const result = await load.stop();
    assert.equal(result.failed, 0, `no failed request: ${result.failures.slice(0, 5).join("; ")}`);
    assert.ok(result.ok > 20, `the load ran (${result.ok} requests)`);
    assert.deepEqual([...result.bodies].sort(), ["v1", "v2"], "both versions served during the switch");
    assert.match((await curl(daemon.url("web"))).body, /^v2 /);
    const drained = await eventually(
      () => containersOf(daemon.prefix, ["minicloud.app=web"]),
      (list) => list.length === 2,
      10_000,
    );
    assert.equal(drained.length, 2, "the old instances are gone once drained");
  });

  test("a version that fails its health check is rolled back; the old one keeps serving", async () => {
    // The app's settings from ./mc.toml, as a developer would keep them in the repository.
    const dir = await mkdtemp(path.join(os.tmpdir(), "mc-app-"));
    const command = whoAmICommand("v3")
      .map((part) => JSON.stringify(part))
      .join(", ");
    await writeFile(
      path.join(dir, "mc.toml"),
      `app = "web"\nimage = "${BASE_IMAGE}"\nport = 8080\ncount = 2\nhealth_path = "/missing"\ncommand = [${command}]\n`,
    );
    const broken = await mc(["deploy", "--json"], daemon.env, { cwd: dir });
    await rm(dir, { recursive: true, force: true });
    assert.equal(broken.code, 1, broken.stderr);
    assert.equal(errorOf(broken).code, "unhealthy");
    assert.match(errorOf(broken).message, /did not answer HTTP on port 8080 at \/missing/);
    assert.match((await curl(daemon.url("web"))).body, /^v2 /, "release 2 still serves");
    assert.equal((await containersOf(daemon.prefix, ["minicloud.app=web"])).length, 2, "the failed release left nothing");

    // --reset: not the running release's command, the image's own, which exits at once.
    const crashing = await mc(["deploy", "web", "--image", BASE_IMAGE, "--port", "8080", "--reset", "--json"], daemon.env);
    assert.equal(crashing.code, 1, "an image whose command exits at once");
    assert.match(errorOf(crashing).message, /exited with code|last log lines|did not answer/);

    const releases = json<{ releases: { version: number; status: string; reason: string | null }[] }>(
      (await mc(["releases", "web", "--json"], daemon.env)).stdout,
    ).releases;
    assert.deepEqual(
      releases.map((r) => [r.version, r.status]),
      [
        [1, "superseded"],
        [2, "active"],
        [3, "failed"],
        [4, "failed"],
      ],
    );
    const types = (await events(daemon, "web")).map((e) => `${e.type}:${e.release}`);
    for (const expected of ["deploy.failed:3", "deploy.rolled_back:2", "deploy.succeeded:2"])
      assert.ok(types.includes(expected), `${expected} in ${types}`);
  });

  test("rollback returns to an earlier release as a new one, without downtime", async () => {
    const result = await mc(["rollback", "web", "1", "--json"], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(json<AppJson>(result.stdout).release, 5);
    assert.match((await curl(daemon.url("web"))).body, /^v1 /);
    const bad = await mc(["rollback", "web", "99", "--json"], daemon.env);
    assert.equal(bad.code, 1);
    assert.equal(errorOf(bad).code, "not_found");
    assert.equal((await mc(["rollback", "web", "x"], daemon.env)).code, 2);
  });

  test("scale to 3, to 0 and back; beyond the quota is refused and recorded", async () => {
    const up = await mc(["scale", "web", "--count", "3", "--json"], daemon.env);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(json<AppJson>(up.stdout).instances.length, 3);
    const zero = await mc(["scale", "web", "--count", "0", "--json"], daemon.env);
    assert.equal(zero.code, 0, zero.stderr);
    assert.equal((await curl(daemon.url("web"))).status, 404, "out of the ingress at once");
    const gone = await eventually(
      () => containersOf(daemon.prefix, ["minicloud.app=web"]),
      (list) => list.length === 0,
      10_000,
    );
    assert.equal(gone.length, 0, "and its containers go after the drain");
    const quota = json<{ usage: { instances: number } }>((await mc(["quota", "--json"], daemon.env)).stdout);
    assert.equal(quota.usage.instances, 0, "zero instances hold no quota");
    const back = await mc(["scale", "web", "--count", "2", "--json"], daemon.env);
    assert.equal(back.code, 0, back.stderr);
    assert.equal((await curl(daemon.url("web"))).status, 200);

    const tooMany = await mc(["scale", "web", "--count", "11", "--json"], daemon.env);
    assert.equal(tooMany.code, 1);
    assert.equal(errorOf(tooMany).code, "quota_exceeded");
    assert.ok((await events(daemon, "web")).some((e) => e.type === "quota.rejected"));
    assert.equal((await mc(["scale", "web", "--count", "-1"], daemon.env)).code, 2);
    assert.equal((await mc(["scale", "web"], daemon.env)).code, 2, "nothing to change");
  });

  test("concurrent deploys of the same app: one wins, the other is told", async () => {
    const args = (tag: string) => ["deploy", "race", "--image", SAMPLE_IMAGE, "--port", "8080", "--json", "--env", `TAG=${tag}`];
    const [a, b] = await Promise.all([mc(args("a"), daemon.env), mc(args("b"), daemon.env)]);
    const codes = [a.code, b.code].sort();
    assert.deepEqual(codes, [0, 1], `${a.stderr} ${b.stderr}`);
    const loser = a.code === 1 ? a : b;
    assert.equal(errorOf(loser).code, "conflict");
    assert.match(errorOf(loser).message, /in progress/);
    assert.equal((await containersOf(daemon.prefix, ["minicloud.app=race"])).length, 1);
  });

  test("a crashed instance is restarted with backoff, and an app that keeps crashing shows as crash-looping", async () => {
    const [victim] = await containersOf(daemon.prefix, ["minicloud.app=web"]);
    assert.ok(victim);
    await docker.getContainer(victim.Id).kill();
    const healed = await eventually(
      async () => json<AppJson>((await mc(["status", "web", "--json"], daemon.env)).stdout),
      (app) => app.instances.some((i) => i.restarts === 1 && i.state === "running"),
      15_000,
    );
    assert.ok(
      healed.instances.some((i) => i.restarts === 1 && i.state === "running"),
      JSON.stringify(healed.instances),
    );
    const types = (await events(daemon, "web")).map((e) => e.type);
    assert.ok(types.includes("instance.crashed") && types.includes("instance.restarted"), types.join(","));

    await deploy(daemon, { name: "flapper", image: BASE_IMAGE, command: ["sh", "-c", "sleep 2.5; exit 3"] });
    const looping = await eventually(
      () => events(daemon, "flapper"),
      (list) => list.some((e) => e.type === "app.crash_looping"),
      40_000,
    );
    assert.ok(
      looping.some((e) => e.type === "app.crash_looping"),
      looping.map((e) => e.type).join(","),
    );
    assert.ok(looping.filter((e) => e.type === "instance.crashed").length >= 3);
    const shown = await eventually(
      async () => json<AppJson>((await mc(["status", "flapper", "--json"], daemon.env)).stdout),
      (app) => app.instances.some((i) => i.state === "crash-looping"),
      20_000,
    );
    assert.ok(
      shown.instances.some((i) => i.state === "crash-looping"),
      `mc status shows it between restarts: ${JSON.stringify(shown.instances)}`,
    );
  });
});
