import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { docker, imageExists } from "./harness/docker.ts";
import { eventually } from "./harness/http.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { MC_BIN, SAMPLE_IMAGE } from "./harness/paths.ts";
import { startHangingListener, startRegistry, type TestRegistry } from "./harness/registry.ts";
import { createTenant, type TestTenant } from "./harness/tenant.ts";

interface PullLineJson {
  type: string;
  layer?: string;
  image?: { reference: string; digest: string; id: string };
}
interface ReleaseJson {
  version: number;
  image: string;
  digest: string | null;
}
interface StateJson {
  apps: { tenant: string; name: string }[];
  pulledImages: { tenant: string; reference: string; id: string }[];
  registryCredentials: { tenant: string; host: string; sealed: string }[];
}

const ALICE_PASSWORD = `alice-${randomBytes(12).toString("hex")}`;

describe("images: pulls through registries, who may run what, credentials, list and prune", () => {
  let daemon: TestDaemon;
  let registry: TestRegistry;
  let publicRegistry: TestRegistry;
  let acme: TestTenant;
  let beta: TestTenant;
  let v1: string;
  let v2: string;
  let shared: string;
  let big: string;
  const hostImages: string[] = [];

  const pullLines = (stderr: string): PullLineJson[] =>
    stderr
      .split("\n")
      .filter((line) => line.startsWith('{"type"'))
      .map((line) => json<PullLineJson>(line));
  const releasesOf = async (tenant: TestTenant, app: string) =>
    json<{ releases: ReleaseJson[] }>((await mc(["releases", app, "--json"], tenant.env)).stdout).releases;
  /** The image ids the app's containers run, once the replaced ones have drained. */
  const runningImageIds = async (tenant: string, app: string, expected: (string | null | undefined)[]) =>
    eventually(
      async () => {
        const filters = { label: [`minicloud.prefix=${daemon.prefix}`, `minicloud.tenant=${tenant}`, `minicloud.app=${app}`] };
        return [...new Set((await docker.listContainers({ filters })).map((c) => c.ImageID))];
      },
      (ids) => JSON.stringify(ids) === JSON.stringify(expected),
    );

  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start();
    acme = await createTenant(daemon, "acme");
    beta = await createTenant(daemon, "beta");
    registry = await startRegistry({ alice: ALICE_PASSWORD });
    registry.login("alice", ALICE_PASSWORD);
    v1 = registry.pushFresh("acme/app", "1", SAMPLE_IMAGE);
    v2 = registry.pushFresh("acme/app", "2", SAMPLE_IMAGE);
    publicRegistry = await startRegistry();
    shared = publicRegistry.pushFresh("pub/hello", "1", SAMPLE_IMAGE);
  });

  after(async () => {
    await daemon?.destroy();
    await registry?.stop();
    await publicRegistry?.stop();
    for (const image of hostImages) spawnSync("docker", ["rmi", "-f", image]);
  });

  test("registry login is checked against the registry, stored sealed, and never printed", async () => {
    const wrong = await mc(["registry", "login", registry.host, "--username", "alice", "--password-stdin", "--json"], acme.env, {
      input: "nope\n",
    });
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(errorOf(wrong).message, new RegExp(`registry ${registry.host} refused`));
    assert.deepEqual(json<{ credentials: unknown[] }>((await mc(["registry", "list", "--json"], acme.env)).stdout).credentials, []);

    const login = await mc(["registry", "login", registry.host, "-u", "alice", "--password-stdin"], acme.env, {
      input: `${ALICE_PASSWORD}\n`,
    });
    assert.equal(login.code, 0, login.stderr);
    const list = await mc(["registry", "list", "--json"], acme.env);
    assert.deepEqual(
      json<{ credentials: { host: string; username: string }[] }>(list.stdout).credentials.map((c) => [c.host, c.username]),
      [[registry.host, "alice"]],
    );
    const human = await mc(["registry", "list"], acme.env);
    for (const output of [login.stdout, login.stderr, list.stdout, human.stdout])
      assert.ok(!output.includes(ALICE_PASSWORD), "never printed");
    const state = await daemon.persistedState<StateJson>();
    assert.equal(state.registryCredentials.length, 1);
    assert.ok(!JSON.stringify(state).includes(ALICE_PASSWORD), "not in state in plaintext");
    assert.ok(
      !(await readFile(path.join(daemon.dir, "audit.log"), "utf8").catch(() => "")).includes(ALICE_PASSWORD),
      "not in the audit log",
    );
    assert.deepEqual(
      json<{ credentials: unknown[] }>((await mc(["registry", "list", "--json"], beta.env)).stdout).credentials,
      [],
      "acme's alone",
    );

    const nobody = await mc(["registry", "login", "127.0.0.1:9", "-u", "x", "--password-stdin", "--json"], acme.env, { input: "p" });
    assert.equal(nobody.code, 2, nobody.stderr);
    assert.match(errorOf(nobody).message, /registry 127\.0\.0\.1:9 is not reachable .*nothing was stored/);
    const bad = await mc(["registry", "logout", "https://x/y"], acme.env);
    assert.equal(bad.code, 2);
    const other = await mc(["registry", "login", registry.host, "-u", "alice", "--password-stdin"], beta.env, { input: "" });
    assert.equal(other.code, 2, "an empty password is bad input");
  });

  test("a deploy pulls an image the engine lacks, streams progress as NDJSON, and records the digest", async () => {
    const result = await mc(["deploy", "web", "--image", v1, "--port", "8080", "--json"], acme.env);
    assert.equal(result.code, 0, result.stderr);
    const lines = pullLines(result.stderr);
    assert.ok(
      lines.some((l) => l.type === "progress" && l.layer),
      `progress per layer: ${result.stderr}`,
    );
    const done = lines.find((l) => l.type === "done");
    assert.ok(done?.image?.digest.startsWith("sha256:"), "the registry's digest");
    const [release] = await releasesOf(acme, "web");
    assert.equal(release?.digest, done?.image?.id, "the release records the image id it ran");
    assert.deepEqual(await runningImageIds("acme", "web", [done?.image?.id]), [done?.image?.id]);
  });

  test("another tenant's pull grants nothing: by reference and by digest, it reads like not found", async () => {
    const pulled = (await daemon.persistedState<StateJson>()).pulledImages.find((p) => p.tenant === "acme");
    assert.ok(pulled);
    const image = await docker.getImage(pulled.id).inspect();
    const byDigest = image.RepoDigests.find((d) => d.startsWith(`${registry.host}/acme/app@`));
    assert.ok(byDigest);
    for (const reference of [v1, byDigest]) {
      const stolen = await mc(["deploy", "thief", "--image", reference, "--port", "8080", "--json"], beta.env);
      assert.equal(stolen.code, 2, stolen.stderr);
      assert.match(errorOf(stolen).message, /was not found/);
      assert.match(errorOf(stolen).message, /requires a login/);
    }
    const state = await daemon.persistedState<StateJson>();
    assert.ok(!state.apps.some((a) => a.tenant === "beta"), "no app of beta");
    assert.ok(!state.pulledImages.some((p) => p.tenant === "beta"), "no pull of beta");
    assert.deepEqual(json<{ images: unknown[] }>((await mc(["images", "list", "--json"], beta.env)).stdout).images, []);
  });

  test("a public image pulled without credentials runs for every tenant that pulls it", async () => {
    for (const tenant of [acme, beta]) {
      const result = await mc(["deploy", "pub", "--image", shared, "--port", "8080", "--json"], tenant.env);
      assert.equal(result.code, 0, result.stderr);
    }
  });

  test("host images: refused unless published (by label or by the admin), and only the admin publishes", async () => {
    const name = `mc-host-${randomBytes(4).toString("hex")}`;
    const plain = `${name}/plain:1`;
    const labelled = `${name}/labelled:1`;
    hostImages.push(plain, labelled);
    for (const [image, extra] of [
      [plain, []],
      [labelled, ["--label", "minicloud.published=true"]],
    ] as const) {
      const build = spawnSync("docker", ["build", "-q", ...extra, "-t", image, "-"], {
        input: `FROM ${SAMPLE_IMAGE}\nLABEL host=${name}\n`,
      });
      assert.equal(build.status, 0, String(build.stderr));
    }
    const refused = await mc(["deploy", "host", "--image", plain, "--port", "8080", "--json"], acme.env);
    assert.equal(refused.code, 2);
    assert.match(errorOf(refused).message, /was not found on the engine/);
    assert.equal((await mc(["deploy", "lab", "--image", labelled, "--port", "8080"], acme.env)).code, 0, "labelled by the host");

    const byTenant = await mc(["images", "publish", plain, "--json"], acme.env);
    assert.equal(byTenant.code, 1);
    assert.equal(errorOf(byTenant).code, "forbidden");
    const published = await mc(["images", "publish", plain, "--json"], daemon.env);
    assert.equal(published.code, 0, published.stderr);
    const deployed = await mc(["deploy", "host", "--image", plain, "--port", "8080"], acme.env);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.equal((await mc(["images", "unpublish", plain], daemon.env)).code, 0);
    assert.equal((await mc(["deploy", "host2", "--image", plain, "--port", "8080"], beta.env)).code, 2, "unpublished again");
  });

  test("registry failures: a clear message naming the registry, and nothing left in state", async () => {
    const before = await daemon.persistedState<StateJson>();
    const hanging = await startHangingListener();
    const stalling = await startHangingListener({ afterHeaders: true });
    try {
      const cases: [string, TestTenant, RegExp][] = [
        [`${registry.host}/acme/app:nope`, acme, /has no tag nope/],
        [`${registry.host}/acme/nothing:1`, acme, /has no repository acme\/nothing/],
        [`${registry.host}/acme/app:1`, beta, /requires a login/],
        [`${hanging.host}/team/app:1`, acme, new RegExp(`registry ${hanging.host} did not answer within 10 s`)],
        [`${stalling.host}/team/app:1`, acme, new RegExp(`registry ${stalling.host} did not answer within 10 s`)],
      ];
      for (const [reference, tenant, message] of cases) {
        const started = Date.now();
        const result = await mc(["deploy", "bad", "--image", reference, "--port", "8080", "--json"], tenant.env);
        assert.equal(result.code, 2, `${reference}: ${result.stderr}`);
        assert.equal(errorOf(result).code, "invalid_input");
        assert.match(errorOf(result).message, message);
        assert.ok(Date.now() - started < 60_000, "bounded");
      }
    } finally {
      await hanging.stop();
      await stalling.stop();
    }
    const afterwards = await daemon.persistedState<StateJson>();
    assert.deepEqual(afterwards.pulledImages, before.pulledImages);
    assert.deepEqual(afterwards.apps.map((a) => a.name).sort(), before.apps.map((a) => a.name).sort());
  });

  test("Ctrl-C during a pull cancels it: no app, no pull recorded; a later deploy pulls it whole", async () => {
    big = publicRegistry.pushFresh("pub/big", "1", SAMPLE_IMAGE, 96 * 1024 * 1024);
    const child = spawn(process.execPath, [MC_BIN, "deploy", "big", "--image", big, "--port", "8080", "--json"], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...beta.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      // The first progress line: the pull is under way.
      if (stderr.includes('"type":"progress"') && child.signalCode === null && child.exitCode === null) child.kill("SIGINT");
    });
    assert.equal(await exited, 130, stderr);
    const state = await daemon.persistedState<StateJson>();
    assert.ok(!state.pulledImages.some((p) => p.tenant === "beta" && p.reference === big), "no pull recorded");
    assert.ok(!state.apps.some((a) => a.tenant === "beta" && a.name === "big"), "no app");
    assert.equal(
      await eventually(
        () => imageExists(big),
        (present) => !present,
      ),
      false,
      "the engine's pull was cancelled too",
    );
    const again = await mc(["deploy", "big", "--image", big, "--port", "8080", "--json"], beta.env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await mc(["apps", "destroy", "big", "--yes"], beta.env)).code, 0);
  });

  test("a pull over the tenant's storage quota is refused before it downloads, or undone", async () => {
    const tiny = await createTenant(daemon, "tiny", ["--max-storage", "6m"]);
    const large = publicRegistry.pushFresh("pub/large", "1", SAMPLE_IMAGE, 8 * 1024 * 1024);
    const result = await mc(["deploy", "large", "--image", large, "--port", "8080", "--json"], tiny.env);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(errorOf(result).code, "quota_exceeded");
    assert.match(errorOf(result).message, /over its limit of 6/);
    const state = await daemon.persistedState<StateJson>();
    assert.ok(!state.pulledImages.some((p) => p.tenant === "tiny"), "nothing recorded");
    assert.ok(!state.apps.some((a) => a.tenant === "tiny"), "no app");
    assert.match(errorOf(result).message, /compressed .*nothing was pulled/, "the registry's sizes say so first");
    const quota = json<{ usage: { storage: number } }>((await mc(["quota", "--json"], tiny.env)).stdout).usage.storage;
    assert.ok(quota < 6 * 1024 * 1024, `nothing counted (${quota})`);
    // Small compressed, too large once unpacked (20 MB of zeros): pulled, then undone.
    const roomy = await createTenant(daemon, "roomy", ["--max-storage", "16m"]);
    const local = `localhost:${publicRegistry.port}/pub/zeros:1`;
    for (const args of [
      ["build", "-q", "-t", local, "-"],
      ["push", "-q", local],
      ["rmi", local],
    ]) {
      const step = publicRegistry.docker(
        args,
        args[0] === "build" ? `FROM ${SAMPLE_IMAGE}\nRUN head -c 20000000 /dev/zero > /zeros\n` : undefined,
      );
      assert.equal(step.code, 0, step.stderr);
    }
    const zeros = `${publicRegistry.host}/pub/zeros:1`;
    const undone = await mc(["deploy", "zeros", "--image", zeros, "--port", "8080", "--json"], roomy.env);
    assert.equal(undone.code, 1, undone.stderr);
    assert.equal(errorOf(undone).code, "quota_exceeded");
    assert.match(errorOf(undone).message, /the pull was undone/);
    assert.ok(!(await daemon.persistedState<StateJson>()).pulledImages.some((p) => p.tenant === "roomy"), "nothing recorded");
    assert.equal(await imageExists(zeros), false, "the bytes went with it");
  });

  test("bad references are refused before any request (exit 2)", async () => {
    const nowhere = { ...acme.env, MC_HOST: "http://127.0.0.1:9" };
    for (const reference of [
      "Acme/App:1",
      "team/app 1",
      "team/../app",
      `app@sha256:${"z".repeat(64)}`,
      `app@sha256:${"a".repeat(63)}`,
      `a/${"b".repeat(298)}`,
    ]) {
      const deploy = await mc(["deploy", "web", "--image", reference, "--json"], nowhere);
      assert.equal(deploy.code, 2, `${reference}: ${deploy.stderr}`);
      assert.equal(errorOf(deploy).code, "invalid_input");
      assert.equal((await mc(["images", "publish", reference], nowhere)).code, 2);
    }
    assert.equal((await mc(["registry", "login", "https://r.example.com", "-u", "x", "--password-stdin"], nowhere)).code, 2);
  });

  test("--pull always takes a moved tag; a rollback runs the bytes its release ran", async () => {
    const first = (await releasesOf(acme, "web")).at(-1);
    // The tag moves in the registry: a fresh layer under the same name.
    registry.pushFresh("acme/app", "1", SAMPLE_IMAGE);
    const same = await mc(["deploy", "web", "--image", v1, "--json"], acme.env);
    assert.equal(same.code, 0, same.stderr);
    assert.equal((await releasesOf(acme, "web")).at(-1)?.digest, first?.digest, "missing: acme can run what it pulled, no pull");
    const always = await mc(["deploy", "web", "--image", v1, "--pull", "always", "--json"], acme.env);
    assert.equal(always.code, 0, always.stderr);
    assert.ok(pullLines(always.stderr).some((l) => l.type === "done"));
    const moved = (await releasesOf(acme, "web")).at(-1);
    assert.notEqual(moved?.digest, first?.digest, "the new bytes");
    assert.deepEqual(await runningImageIds("acme", "web", [moved?.digest]), [moved?.digest]);

    const rollback = await mc(["rollback", "web", String(first?.version), "--json"], acme.env);
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.equal((await releasesOf(acme, "web")).at(-1)?.digest, first?.digest);
    assert.deepEqual(await runningImageIds("acme", "web", [first?.digest]), [first?.digest], "exactly the first release's bytes");
    // A redeploy that names no image (a new env, say) keeps the bytes that run, though the tag moved.
    const redeploy = await mc(["deploy", "web", "--env", "AGAIN=1", "--json"], acme.env);
    assert.equal(redeploy.code, 0, redeploy.stderr);
    assert.equal((await releasesOf(acme, "web")).at(-1)?.digest, first?.digest);
  });

  test("images list and prune: what no kept release runs goes, a rollback still works", async () => {
    const tmp = await mc(["deploy", "tmp", "--image", v2, "--port", "8080", "--json"], acme.env);
    assert.equal(tmp.code, 0, tmp.stderr);
    const v2Id = (await releasesOf(acme, "tmp"))[0]?.digest;
    assert.equal((await mc(["apps", "destroy", "tmp", "--yes"], acme.env)).code, 0);
    const listed = json<{ images: { references: string[]; id: string; size: number; releases: string[] }[] }>(
      (await mc(["images", "list", "--json"], acme.env)).stdout,
    ).images;
    assert.ok(
      listed.some((i) => i.id === v2Id && i.releases.length === 0 && i.size > 0),
      "v2 is listed, unused",
    );
    assert.ok(
      listed.some((i) => i.releases.includes("web:1")),
      "the first release's image is listed with its release",
    );
    const quotaBefore = json<{ usage: { storage: number } }>((await mc(["quota", "--json"], acme.env)).stdout).usage.storage;

    const pruned = await mc(["images", "prune", "--json"], acme.env);
    assert.equal(pruned.code, 0, pruned.stderr);
    const removed = json<{ removed: { id: string }[]; reclaimedBytes: number }>(pruned.stdout);
    assert.ok(removed.removed.some((r) => r.id === v2Id));
    const kept = json<{ images: { id: string }[] }>((await mc(["images", "list", "--json"], acme.env)).stdout).images;
    assert.ok(!kept.some((i) => i.id === v2Id));
    const quotaAfter = json<{ usage: { storage: number } }>((await mc(["quota", "--json"], acme.env)).stdout).usage.storage;
    assert.ok(quotaAfter < quotaBefore, `pulled bytes count in the storage quota (${quotaBefore} → ${quotaAfter})`);

    const releases = await releasesOf(acme, "web");
    const target = releases.find((r) => r.digest !== releases.at(-1)?.digest);
    assert.ok(target, "an earlier release with other bytes");
    const rollback = await mc(["rollback", "web", String(target.version)], acme.env);
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.deepEqual(await runningImageIds("acme", "web", [target.digest]), [target.digest]);
  });

  test("deleting a tenant forgets its pulls and logins; bytes no one else holds leave the engine", async () => {
    assert.equal(await imageExists(big), true, "beta pulled it");
    const deleted = await mc(["tenants", "delete", "beta", "--yes"], daemon.env);
    assert.equal(deleted.code, 0, deleted.stderr);
    const state = await daemon.persistedState<StateJson>();
    assert.ok(!state.pulledImages.some((p) => p.tenant === "beta"));
    assert.ok(!state.registryCredentials.some((c) => c.tenant === "beta"));
    assert.equal(
      await eventually(
        () => imageExists(big),
        (present) => !present,
      ),
      false,
      "only beta held it",
    );
    assert.equal(await imageExists(shared), true, "acme pulled it too");
  });
});
