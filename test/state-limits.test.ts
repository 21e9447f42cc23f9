import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ApiError } from "@minicloud/shared";
import { IDLE_COMMAND } from "./harness/apps.ts";
import { TestDaemon } from "./harness/daemon.ts";
import { docker } from "./harness/docker.ts";
import { eventually } from "./harness/http.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE } from "./harness/paths.ts";
import { createTenant, deployVia } from "./harness/tenant.ts";

const KEEP = 3;

// Issue 12, items 5 and 6: state that grows for free, and disk written outside any volume.
describe("state and disk limits: env size, app count, release history, writable root filesystems", () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start({ MC_RELEASE_HISTORY: String(KEEP), MC_DISK_SAMPLE_INTERVAL: "1" });
  });
  after(() => daemon.destroy());

  test("a deploy whose env totals over 256 KiB is refused with the total and the limit (exit 2)", async () => {
    const tenant = await createTenant(daemon, "envy");
    const env = Array.from({ length: 9 }, (_, i) => ["--env", `BIG${i}=${"x".repeat(30_000)}`]).flat();
    const result = await mc(["deploy", "fat", "--image", BASE_IMAGE, ...env, "--json"], tenant.env, { timeoutMs: 60_000 });
    assert.equal(result.code, 2, result.stderr);
    const error = errorOf(result);
    assert.equal(error.code, "invalid_input");
    assert.match(error.message, /environment would total 270036 bytes .*the limit is 256k/);
    const apps = json<{ apps: unknown[] }>((await mc(["apps", "list", "--json"], tenant.env)).stdout);
    assert.equal(apps.apps.length, 0, "nothing was recorded");
  });

  test("apps count against maxApps even when scaled to 0: the third app of a tenant limited to 2 is refused", async () => {
    const tenant = await createTenant(daemon, "counted", ["--max-apps", "2"]);
    const app = (name: string) => ({ name, image: BASE_IMAGE, command: IDLE_COMMAND, memory: "32m", cpus: 0.1 });
    await deployVia(tenant.client(), app("one"));
    assert.equal((await mc(["scale", "one", "--count", "0", "--json"], tenant.env)).code, 0);
    await deployVia(tenant.client(), app("two"));
    await assert.rejects(deployVia(tenant.client(), app("three")), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, "quota_exceeded");
      assert.match(error.message, /quota exceeded for apps in tenant counted: it has 2 app\(s\).*the limit is 2/);
      return true;
    });
    const quota = json<{ limits: { maxApps: number }; usage: { apps: number } }>((await mc(["quota", "--json"], tenant.env)).stdout);
    assert.equal(quota.limits.maxApps, 2);
    assert.equal(quota.usage.apps, 2);
    assert.match((await mc(["quota"], tenant.env)).stdout, /apps\s+2\s+2/);
    const bad = await mc(["tenants", "quota", "counted", "--max-apps=many", "--json"], daemon.env);
    assert.equal(bad.code, 2, bad.stderr);
    // A redeploy of an app it has is not a new app.
    await deployVia(tenant.client(), { ...app("two"), env: { AGAIN: "1" } });
  });

  test(`after ${KEEP + 5} deploys only the newest ${KEEP} releases are kept, and a rollback to the oldest kept works`, async () => {
    const tenant = await createTenant(daemon, "history");
    for (let i = 1; i <= KEEP + 5; i++) {
      await deployVia(tenant.client(), {
        name: "web",
        image: BASE_IMAGE,
        command: IDLE_COMMAND,
        memory: "32m",
        cpus: 0.1,
        env: { N: String(i) },
      });
    }
    const list = async () =>
      json<{ releases: { version: number }[] }>((await mc(["releases", "web", "--json"], tenant.env)).stdout).releases;
    const kept = (await list()).map((r) => r.version).sort((a, b) => a - b);
    assert.deepEqual(kept, [KEEP + 3, KEEP + 4, KEEP + 5]);
    const rollback = await mc(["rollback", "web", String(KEEP + 3), "--json"], tenant.env, { timeoutMs: 120_000 });
    assert.equal(rollback.code, 0, rollback.stderr);
    const after = (await list()).map((r) => r.version).sort((a, b) => a - b);
    assert.deepEqual(after, [KEEP + 4, KEEP + 5, KEEP + 6], "the rollback is a new release; the oldest kept one went");
    const status = json<{ release: number }>((await mc(["status", "web", "--json"], tenant.env)).stdout);
    assert.equal(status.release, KEEP + 6);
  });

  test("images the daemon built for pruned releases are removed; kept releases' images and host images stay", async () => {
    const tenant = await createTenant(daemon, "builder");
    const dir = await mkdtemp(path.join(os.tmpdir(), "mc-state-limits-"));
    const exists = async (image: string) =>
      docker
        .getImage(image)
        .inspect()
        .then(
          () => true,
          () => false,
        );
    try {
      await writeFile(path.join(dir, "Dockerfile"), `FROM ${BASE_IMAGE}\nCOPY n /n\nCMD ["sleep", "3600"]\n`);
      await writeFile(path.join(dir, "mc.toml"), 'app = "built"\nmemory = "32m"\ncpus = 0.1\n');
      for (let i = 1; i <= KEEP + 1; i++) {
        await writeFile(path.join(dir, "n"), String(i));
        const result = await mc(["deploy", "--json"], tenant.env, { cwd: dir, timeoutMs: 120_000 });
        assert.equal(result.code, 0, result.stderr);
      }
      // Release 1's image was the first build; release 1 itself is gone now.
      const releases = json<{ releases: { version: number; image: string }[] }>(
        (await mc(["releases", "built", "--json"], tenant.env)).stdout,
      ).releases;
      assert.deepEqual(
        releases.map((r) => r.version).sort((a, b) => a - b),
        [2, 3, 4],
      );
      const kept = new Set(releases.map((r) => r.image));
      await eventually(
        () => docker.listImages({ filters: { label: [`minicloud.prefix=${daemon.prefix}`, "minicloud.tenant=builder"] } }),
        (images) => images.every((image) => (image.RepoTags ?? []).some((tag) => kept.has(tag))),
        30_000,
      );
      for (const image of kept) assert.ok(await exists(image), `${image} of a kept release stays`);
      assert.ok(await exists(BASE_IMAGE), "host images are never removed");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("an app writing 80 MB into its writable root filesystem over a 50 MB storage limit is stopped with instance.disk_exceeded", async () => {
    const tenant = await createTenant(daemon, "writer", ["--max-storage", "50m"]);
    await deployVia(tenant.client(), {
      name: "filler",
      image: BASE_IMAGE,
      command: ["sh", "-c", "dd if=/dev/zero of=/filler bs=1M count=80 2>/dev/null; exec sleep 3600"],
      readOnlyRootfs: false,
      memory: "64m",
      cpus: 0.1,
    });
    const events = async () => {
      const client = tenant.client();
      try {
        return await client.apps.events({ app: "filler" });
      } finally {
        await client.close();
      }
    };
    const seen = await eventually(events, (list) => list.some((e) => e.type === "instance.disk_exceeded"), 60_000);
    const event = seen.find((e) => e.type === "instance.disk_exceeded");
    assert.ok(event);
    assert.match(event.message, /filler stopped: its writable root filesystem holds .*over its limit of 50m/);
    assert.ok((event.data.writableBytes as number) >= 50 * 1024 ** 2, JSON.stringify(event.data));
    assert.equal(event.data.limitBytes, 50 * 1024 ** 2);
    const status = json<{ desired: string }>((await mc(["status", "filler", "--json"], tenant.env)).stdout);
    assert.equal(status.desired, "stopped");
    // What it wrote stays on disk with the stopped container, so it stays counted.
    const quota = json<{ usage: { storage: number; writableLayers?: number } }>((await mc(["quota", "--json"], tenant.env)).stdout);
    assert.ok((quota.usage.writableLayers ?? 0) >= 50 * 1024 ** 2, JSON.stringify(quota.usage));
    assert.equal(quota.usage.storage, quota.usage.writableLayers);
    // Volumes are checked against the same total.
    const volume = await mc(["volumes", "create", "data", "--size", "16m", "--json"], tenant.env);
    assert.equal(volume.code, 1, volume.stderr);
    assert.equal(errorOf(volume).code, "quota_exceeded");
    assert.match(
      errorOf(volume).message,
      /volumes and snapshots hold \S+, writable root filesystems \S+, this needs 16m more, the limit is 50m/,
    );
  });
});
