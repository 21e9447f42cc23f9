import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { DeployRequest } from "@minicloud/shared";
import { whoAmICommand } from "./harness/apps.ts";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf, docker } from "./harness/docker.ts";
import { curl, eventually } from "./harness/http.ts";
import { json, mc } from "./harness/mc.ts";
import { BASE_IMAGE, SAMPLE_IMAGE } from "./harness/paths.ts";
import { deployVia } from "./harness/tenant.ts";

/** Serves only after `seconds`: a deploy of it spends that long waiting for health, a window to crash in. */
function slowStart(tag: string, seconds: number): string[] {
  const [shell, flag, script] = whoAmICommand(tag);
  return [shell ?? "sh", flag ?? "-c", `sleep ${seconds}; ${script}`];
}

interface AppJson {
  name: string;
  count: number;
  desired: string;
  instances: { id: string; state: string }[];
}

/** Fires a request at the daemon and ignores its fate: the daemon is about to be killed under it. */
function inFlight(daemon: TestDaemon, action: (client: ReturnType<TestDaemon["client"]>) => Promise<unknown>): void {
  const client = daemon.client();
  void action(client)
    .catch(() => undefined)
    .finally(() => client.close().catch(() => undefined));
}

async function waitForContainers(daemon: TestDaemon, app: string, atLeast: number): Promise<void> {
  const seen = await eventually(
    () => containersOf(daemon.prefix, [`minicloud.app=${app}`]),
    (list) => list.length >= atLeast,
    20_000,
  );
  assert.ok(seen.length >= atLeast, `${app} has ${seen.length} containers, waited for ${atLeast}`);
}

/**
 * The invariants after any crash: every instance in state has a running container, no container
 * of ours lacks a record, and quota usage is the sum of what running apps ask for.
 */
async function assertConsistent(daemon: TestDaemon): Promise<AppJson[]> {
  const apps = json<{ apps: AppJson[] }>((await mc(["apps", "list", "--json"], daemon.env)).stdout).apps;
  const containers = await eventually(
    () => containersOf(daemon.prefix),
    (list) => list.length === apps.reduce((n, a) => n + a.instances.length, 0),
    15_000,
  );
  const recorded = apps.flatMap((a) => a.instances.map((i) => i.id)).sort();
  const labelled = containers.map((c) => c.Labels["minicloud.instance"] ?? "").sort();
  assert.deepEqual(labelled, recorded, "exactly the recorded instances have containers: no orphans, none missing");
  for (const app of apps.filter((a) => a.desired === "running")) {
    assert.equal(app.instances.length, app.count, `${app.name} runs its count`);
    assert.ok(
      app.instances.every((i) => i.state === "running"),
      `${app.name}: ${JSON.stringify(app.instances)}`,
    );
  }
  const quota = json<{ usage: { instances: number } }>((await mc(["quota", "--json"], daemon.env)).stdout);
  const expected = apps.filter((a) => a.desired === "running").reduce((n, a) => n + a.count, 0);
  assert.equal(quota.usage.instances, expected, "quota usage is recomputed from what runs");
  return apps;
}

describe("crash safety: kill -9 of the daemon at several points, drift repaired by reconciliation", () => {
  let daemon: TestDaemon;
  const steady: DeployRequest = { name: "steady", image: BASE_IMAGE, port: 8080, count: 2, command: whoAmICommand("v1") };

  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start({ MC_RECONCILE_INTERVAL: "2" });
    await deployVia(daemon.client(), steady);
  });
  after(async () => {
    await daemon.destroy();
  });

  test("killed during a first deploy: after restart the app is gone, its name and quota are free, nothing is left", async () => {
    inFlight(daemon, (client) =>
      client.apps.deploy({ name: "fresh", image: BASE_IMAGE, port: 8080, count: 2, command: slowStart("fresh", 30) }),
    );
    await waitForContainers(daemon, "fresh", 2);
    await daemon.restart("SIGKILL", { MC_RECONCILE_INTERVAL: "2" });
    const apps = await assertConsistent(daemon);
    assert.deepEqual(
      apps.map((a) => a.name),
      ["steady"],
    );
    const events = await mc(["events", "--app", "fresh", "--json"], daemon.env);
    assert.match(events.stdout, /interrupted by a daemon restart/);
    const again = await mc(["deploy", "fresh", "--image", SAMPLE_IMAGE, "--port", "8080", "--json"], daemon.env);
    assert.equal(again.code, 0, `the name is free again: ${again.stderr}`);
    assert.equal((await mc(["apps", "destroy", "fresh", "--yes"], daemon.env)).code, 0);
  });

  test("killed during a redeploy: the previous release keeps serving, the new one is recorded as failed", async () => {
    inFlight(daemon, (client) => client.apps.deploy({ ...steady, command: slowStart("v2", 30) }));
    await waitForContainers(daemon, "steady", 4);
    await daemon.restart("SIGKILL", { MC_RECONCILE_INTERVAL: "2" });
    await assertConsistent(daemon);
    assert.match((await curl(daemon.url("steady"))).body, /^v1 /);
    const releases = json<{ releases: { version: number; status: string; reason: string | null }[] }>(
      (await mc(["releases", "steady", "--json"], daemon.env)).stdout,
    ).releases;
    assert.deepEqual(
      releases.map((r) => [r.version, r.status]),
      [
        [1, "active"],
        [2, "failed"],
      ],
    );
    assert.match(releases[1]?.reason ?? "", /interrupted/);
  });

  test("killed during a scale-up: the count that was committed runs, quota agrees", async () => {
    await deployVia(daemon.client(), { name: "grower", image: BASE_IMAGE, port: 8080, count: 1, command: slowStart("g", 3) });
    inFlight(daemon, (c) => c.apps.scale("grower", { count: 3 }));
    await waitForContainers(daemon, "grower", 3);
    await daemon.restart("SIGKILL", { MC_RECONCILE_INTERVAL: "2" });
    const apps = await assertConsistent(daemon);
    assert.equal(apps.find((a) => a.name === "grower")?.count, 1);
  });

  test("killed during a destroy: the app is either gone entirely or intact", async () => {
    inFlight(daemon, (client) => client.apps.destroy("grower"));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await daemon.restart("SIGKILL", { MC_RECONCILE_INTERVAL: "2" });
    await assertConsistent(daemon);
  });

  test("a container removed behind the daemon's back is replaced; one it does not know is removed", async () => {
    const [victim] = await containersOf(daemon.prefix, ["minicloud.app=steady"]);
    assert.ok(victim);
    await docker.getContainer(victim.Id).remove({ force: true });
    const stranger = await docker.createContainer({
      Image: SAMPLE_IMAGE,
      name: `${daemon.prefix}_default_steady_deadbeef`,
      Labels: {
        "minicloud.managed": "true",
        "minicloud.prefix": daemon.prefix,
        "minicloud.tenant": "default",
        "minicloud.app": "steady",
        "minicloud.instance": "deadbeef",
      },
    });
    await stranger.start();
    const repaired = await eventually(
      () => containersOf(daemon.prefix, ["minicloud.app=steady"]),
      (list) =>
        list.length === 2 && !list.some((c) => c.Id === victim.Id || c.Id === stranger.id) && list.every((c) => c.State === "running"),
      20_000,
    );
    assert.equal(repaired.length, 2);
    assert.ok(!repaired.some((c) => c.Id === stranger.id), "the orphan is removed");
    await assertConsistent(daemon);
    assert.equal((await curl(daemon.url("steady"))).status, 200);
  });
});
