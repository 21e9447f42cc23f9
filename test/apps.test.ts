import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf, docker, networksOf } from "./harness/docker.ts";
import { curl, eventually } from "./harness/http.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE, MC_BIN, SAMPLE_IMAGE } from "./harness/paths.ts";

interface AppJson {
  name: string;
  url: string | null;
  desired: string;
  instances: { id: string; state: string; health: string; url: string | null; memoryBytes: number | null }[];
}

describe("apps on demand, through the built mc binary and the real engine", () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start();
  });
  after(async () => {
    await daemon.destroy();
    assert.equal((await containersOf(daemon.prefix)).length, 0, "no container of the test prefix is left");
  });

  test("deploy prints the ingress URL, which answers 200, with hardened, labelled containers", async () => {
    const result = await mc(["deploy", "web", "--image", SAMPLE_IMAGE, "--port", "8080", "--count", "2"], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    const url = /http:\/\/web\.default\.localhost:\d+/.exec(result.stdout)?.[0];
    assert.equal(url, daemon.url("web"), `the ingress URL is printed: ${result.stdout}`);
    assert.match(result.stdout, new RegExp(`https://web\\.default\\.localhost:${daemon.httpsPort}`));
    const page = await curl(url);
    assert.equal(page.status, 200);
    assert.match(page.body, /hello from minicloud/);

    const containers = await containersOf(daemon.prefix, ["minicloud.app=web"]);
    assert.equal(containers.length, 2);
    for (const summary of containers) {
      const info = await docker.getContainer(summary.Id).inspect();
      assert.equal(info.Config.Labels["minicloud.managed"], "true");
      assert.equal(info.Config.Labels["minicloud.tenant"], "default");
      assert.match(info.Name, new RegExp(`^/${daemon.prefix}_default_web_[0-9a-f]{8}$`));
      assert.deepEqual(info.HostConfig.CapDrop, ["ALL"]);
      assert.ok(info.HostConfig.SecurityOpt?.includes("no-new-privileges:true"));
      assert.equal(info.HostConfig.ReadonlyRootfs, true);
      assert.equal(info.HostConfig.Privileged, false);
      assert.equal(info.HostConfig.Memory, 256 * 1024 * 1024);
      assert.equal(info.HostConfig.MemorySwap, 256 * 1024 * 1024);
      assert.equal(info.HostConfig.NanoCpus, 0.5e9);
      assert.ok((info.HostConfig.PidsLimit ?? 0) > 0);
      assert.equal(info.HostConfig.NetworkMode, `${daemon.prefix}_default`);
      assert.deepEqual(info.HostConfig.PortBindings ?? {}, {}, "no host port: traffic comes through the ingress");
      assert.equal(info.HostConfig.Dns?.length, 1, "the tenant's resolver is set");
    }
  });

  test("apps list and status show the app, its instances and their health", async () => {
    const list = await mc(["apps", "list", "--json"], daemon.env);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      json<{ apps: AppJson[] }>(list.stdout).apps.map((a) => a.name),
      ["web"],
    );

    const status = await mc(["status", "web", "--json"], daemon.env);
    assert.equal(status.code, 0, status.stderr);
    const app = json<AppJson>(status.stdout);
    assert.equal(app.instances.length, 2);
    for (const instance of app.instances) {
      assert.equal(instance.state, "running");
      assert.equal(instance.health, "healthy");
      assert.ok((instance.memoryBytes ?? -1) >= 0);
    }

    const human = await mc(["status", "web"], daemon.env);
    assert.match(human.stdout, /INSTANCE\s+STATE\s+HEALTH/);
    assert.match(human.stdout, /2\/2 instances running/);
  });

  test("stop makes the URL go dark, start brings it back, restart keeps it serving", async () => {
    const before = json<AppJson>((await mc(["status", "web", "--json"], daemon.env)).stdout);
    const oldUrl = before.url;
    assert.ok(oldUrl);

    const stopped = await mc(["stop", "web", "--json"], daemon.env);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(json<AppJson>(stopped.stdout).desired, "stopped");
    assert.ok(json<AppJson>(stopped.stdout).instances.every((i) => i.state === "stopped"));
    const dark = await curl(oldUrl);
    assert.equal(dark.status, 404);
    assert.match(dark.body, /No app answers at this address/);

    const started = await mc(["start", "web", "--json"], daemon.env);
    assert.equal(started.code, 0, started.stderr);
    const app = json<AppJson>(started.stdout);
    assert.ok(app.instances.every((i) => i.state === "running"));
    assert.ok(app.url);
    assert.equal((await curl(app.url)).status, 200);

    const restarted = await mc(["restart", "web", "--json"], daemon.env);
    assert.equal(restarted.code, 0, restarted.stderr);
    const afterRestart = json<AppJson>(restarted.stdout);
    assert.ok(afterRestart.url);
    assert.equal((await curl(afterRestart.url)).status, 200);
  });

  test("the app list (served from a cache) follows every change at once", async () => {
    type Listed = { name: string; desired: string; instances: { id: string; state: string }[] };
    const client = daemon.client();
    try {
      const web = async () => ((await client.apps.list()).apps as Listed[]).find((a) => a.name === "web");
      assert.deepEqual(
        (await web())?.instances.map((i) => i.state),
        ["running", "running"],
        "warm: the listing is cached now",
      );
      assert.equal((await mc(["stop", "web"], daemon.env)).code, 0);
      const stopped = await web();
      assert.equal(stopped?.desired, "stopped", "a change through the API shows at once");
      assert.deepEqual(
        stopped?.instances.map((i) => i.state),
        ["stopped", "stopped"],
      );
      // Behind the daemon's back, and nothing it records changes: only the engine's start event can
      // tell the cached listing (reconciliation would stop the container again, but only in 30 s).
      const [container] = await containersOf(daemon.prefix, [`minicloud.instance=${stopped?.instances[0]?.id}`]);
      await docker.getContainer(container?.Id ?? "").start();
      const running = (app: Listed | undefined) => app?.instances[0]?.state === "running";
      // Well inside the cache's 10 s safety expiry, so only invalidation can make this pass.
      assert.ok(running(await eventually(web, running, 5000)), "the instance started behind the daemon's back is listed running");
      assert.equal((await mc(["start", "web"], daemon.env)).code, 0);
      assert.deepEqual(
        (await web())?.instances.map((i) => i.state),
        ["running", "running"],
      );
    } finally {
      await client.close();
    }
  });

  test("logs shows stdout and stderr of every instance with timestamps", async () => {
    // An app that logs needs a command; the typed client (the CLI's own) sets one.
    const client = daemon.client();
    try {
      await client.apps.deploy({
        name: "talker",
        image: BASE_IMAGE,
        count: 2,
        command: ["sh", "-c", "echo out-line; echo err-line >&2; exec sleep 3600"],
      });
    } finally {
      await client.close();
    }
    const logs = await mc(["logs", "talker", "--json"], daemon.env);
    assert.equal(logs.code, 0, logs.stderr);
    const lines = logs.stdout
      .trim()
      .split("\n")
      .map((l) => json<{ ts: string; instance: string; stream: string; line: string }>(l));
    assert.equal(lines.filter((l) => l.line === "out-line" && l.stream === "stdout").length, 2);
    assert.equal(lines.filter((l) => l.line === "err-line" && l.stream === "stderr").length, 2);
    assert.equal(new Set(lines.map((l) => l.instance)).size, 2);
    assert.ok(lines.every((l) => !Number.isNaN(Date.parse(l.ts))));

    const human = await mc(["logs", "talker", "--tail", "1"], daemon.env);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout.trim().split("\n").length, 2, "one line per instance with --tail 1");
  });

  test("logs -f streams new lines as instances write them", async () => {
    const child = spawn(process.execPath, [MC_BIN, "logs", "talker", "-f", "--tail", "0"], {
      env: { ...process.env, ...daemon.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let output = "";
      const seen = new Promise<void>((resolve) =>
        child.stdout.on("data", (chunk) => {
          output += chunk;
          if (output.includes("fresh-line")) resolve();
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const [container] = await containersOf(daemon.prefix, ["minicloud.app=talker"]);
      assert.ok(container);
      // Write to the container's main process output, as the app itself would.
      const exec = await docker.getContainer(container.Id).exec({ Cmd: ["sh", "-c", "echo fresh-line > /proc/1/fd/1"] });
      await exec.start({});
      await seen;
      assert.match(output, /\[[0-9a-f]{8}\] fresh-line/);
    } finally {
      child.kill();
    }
  });

  test("destroy removes the app's containers and its state; the tenant network stays for the next app", async () => {
    for (const app of ["web", "talker"]) {
      const result = await mc(["apps", "destroy", app, "--yes"], daemon.env);
      assert.equal(result.code, 0, result.stderr);
    }
    assert.equal((await containersOf(daemon.prefix)).length, 0);
    assert.deepEqual(
      (await networksOf(daemon.prefix)).map((n) => n.Name),
      [`${daemon.prefix}_default`],
      "the network belongs to the tenant and goes with it",
    );
    const list = json<{ apps: AppJson[] }>((await mc(["apps", "list", "--json"], daemon.env)).stdout);
    assert.deepEqual(list.apps, []);
    const missing = await mc(["status", "web", "--json"], daemon.env);
    assert.equal(missing.code, 1);
    assert.equal(errorOf(missing).code, "not_found");
  });

  test("a tenant network removed behind the daemon's back is made again by the next deploy", async () => {
    // The daemon remembers the network rather than asking the engine each deploy; this is the case it must survive.
    await docker.getNetwork(`${daemon.prefix}_default`).remove();
    const result = await mc(["deploy", "again", "--image", SAMPLE_IMAGE, "--port", "8080", "--json"], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      (await networksOf(daemon.prefix)).map((n) => n.Name),
      [`${daemon.prefix}_default`],
    );
    // Served through the ingress, which finds the instance by name: the new network's resolver answers.
    assert.equal((await curl(daemon.url("again"))).status, 200);
    assert.equal((await mc(["apps", "destroy", "again", "--yes"], daemon.env)).code, 0);
  });
});
