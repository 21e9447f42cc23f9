import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf, docker } from "./harness/docker.ts";
import { curl, eventually } from "./harness/http.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE, MC_BIN } from "./harness/paths.ts";
import { createTenant, type TestTenant } from "./harness/tenant.ts";

async function appDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mc-build-"));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

async function imagesOf(prefix: string, tenant: string) {
  return docker.listImages({ filters: { label: [`minicloud.prefix=${prefix}`, `minicloud.tenant=${tenant}`] } });
}

describe("builds: mc deploy in a directory with a Dockerfile, against a remote daemon", () => {
  let daemon: TestDaemon;
  let acme: TestTenant;
  let beta: TestTenant;
  const dirs: string[] = [];
  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start();
    [acme, beta] = await Promise.all([createTenant(daemon, "acme"), createTenant(daemon, "beta")]);
  });
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    await daemon.destroy();
  });

  test("the context goes to the daemon, the build output streams back, the image lands in the tenant's namespace and serves", async () => {
    const dir = await appDir({
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY index.html /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
      "index.html": "built by minicloud\n",
      "mc.toml": 'app = "site"\nport = 8080\n',
      ".dockerignore": "secrets.txt\n",
      "secrets.txt": "never sent\n",
    });
    dirs.push(dir);
    const result = await mc(["deploy", "--json"], acme.env, { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Step 1\/\d+ : FROM/, "the build's output reaches the CLI");
    const app = json<{ image: string; url: string }>(result.stdout);
    assert.match(app.image, new RegExp(`^${daemon.prefix}-images/acme/site:`));
    const page = await curl(app.url);
    assert.equal(page.status, 200);
    assert.equal(page.body.trim(), "built by minicloud");
    assert.equal((await imagesOf(daemon.prefix, "acme")).length, 1);

    const stolen = await mc(["deploy", "copy", "--image", app.image, "--port", "8080", "--json"], beta.env);
    assert.equal(stolen.code, 2, "another tenant cannot run it: it looks like a missing image");
    assert.match(errorOf(stolen).message, /was not found/);
  });

  test("a build reads only images the tenant may use: another tenant's by tag, by id prefix, via COPY --from or an ARG is refused", async () => {
    const [acmeImage] = await imagesOf(daemon.prefix, "acme");
    assert.ok(acmeImage, "acme has a built image (previous test)");
    const tag = acmeImage.RepoTags?.[0] ?? "";
    const idPrefix = acmeImage.Id.replace("sha256:", "").slice(0, 4);
    const attempts = {
      tag: `FROM ${tag}\nCMD ["cat", "/www/index.html"]\n`,
      "id prefix": `FROM ${idPrefix}\nCMD ["sh"]\n`,
      "copy --from": `FROM ${BASE_IMAGE}\nCOPY --from=${tag} /www/index.html /stolen\n`,
      arg: `ARG BASE=${BASE_IMAGE}\nFROM \${BASE}\n`,
    };
    for (const [how, dockerfile] of Object.entries(attempts)) {
      const dir = await appDir({ Dockerfile: dockerfile, "mc.toml": 'app = "thief"\n' });
      dirs.push(dir);
      const args = how === "arg" ? ["deploy", "--build-arg", `BASE=${tag}`, "--json"] : ["deploy", "--json"];
      const result = await mc(args, beta.env, { cwd: dir });
      assert.equal(result.code, 1, `${how}: ${result.stderr}`);
      assert.equal(errorOf(result).code, "build_failed", how);
      assert.match(errorOf(result).message, /not found among the images this tenant may use/, how);
      assert.doesNotMatch(result.stderr, /Step 1\//, `${how}: refused before the engine started`);
    }
    assert.equal((await imagesOf(daemon.prefix, "beta")).length, 0, "nothing was built");
    // Multi-stage builds on the host's images still work.
    const ok = await appDir({
      Dockerfile: `FROM ${BASE_IMAGE} AS build\nRUN echo staged > /tmp/out\nFROM ${BASE_IMAGE}\nCOPY --from=build /tmp/out /out\nCMD ["sleep", "3600"]\n`,
      "mc.toml": 'app = "staged"\n',
    });
    dirs.push(ok);
    const built = await mc(["deploy", "--json"], beta.env, { cwd: ok });
    assert.equal(built.code, 0, built.stderr);
    assert.equal((await mc(["destroy", "staged", "--yes"], beta.env)).code, 0);
  });

  test("a Dockerfile that fails reports the failing step, exits 1 and leaves nothing behind", async () => {
    const dir = await appDir({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo about to fail && exit 3\n` });
    dirs.push(dir);
    const before = (await imagesOf(daemon.prefix, "beta")).length;
    const result = await mc(["deploy", "broken", "--json"], beta.env, { cwd: dir });
    assert.equal(result.code, 1);
    assert.equal(errorOf(result).code, "build_failed");
    assert.match(errorOf(result).message, /returned a non-zero code: 3/);
    assert.match(result.stderr, /about to fail/, "the failing step's output is shown");
    assert.equal((await imagesOf(daemon.prefix, "beta")).length, before);
    assert.equal((await containersOf(daemon.prefix, ["minicloud.tenant=beta"])).length, 0);
    assert.equal((await mc(["status", "broken"], beta.env)).code, 1, "no app was created");
  });

  test("a first deploy without --image, mc.toml image or Dockerfile is a usage error", async () => {
    const dir = await appDir({ "README.md": "nothing to build\n" });
    dirs.push(dir);
    const result = await mc(["deploy", "nothing"], acme.env, { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /image: is required for the first deploy of nothing \(or a Dockerfile to build\)/);
  });

  test("--dockerfile, --build-arg and --no-cache reach the build; the Dockerfile's EXPOSE gives the port", async () => {
    const dir = await appDir({
      "Dockerfile.web": `FROM ${BASE_IMAGE}\nARG GREETING=unset\nRUN mkdir -p /www && echo "greeting $GREETING" > /www/index.html\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
    });
    dirs.push(dir);
    const args = ["deploy", "greeter", "--dockerfile", "Dockerfile.web", "--build-arg", "GREETING=hello-arg"];
    const result = await mc([...args, "--no-cache", "--json"], acme.env, { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const app = json<{ port: number | null; url: string }>(result.stdout);
    assert.equal(app.port, 8080, "no --port: the image's EXPOSE");
    const page = await curl(daemon.url("greeter", "acme"));
    assert.equal(page.status, 200);
    assert.match(page.body, /greeting hello-arg/);
    assert.doesNotMatch(result.stderr, /Using cache/, "--no-cache builds every step again");

    const cached = await mc(args, acme.env, { cwd: dir });
    assert.equal(cached.code, 0, cached.stderr);
    assert.match(cached.stderr, /Using cache/, "without --no-cache the engine's cache is used");

    const missing = await mc(["deploy", "greeter", "--dockerfile", "Nope.txt"], acme.env, { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--dockerfile Nope\.txt: no such file/);
    const outside = await mc(["deploy", "greeter", "--dockerfile", "../Dockerfile.web"], acme.env, { cwd: dir });
    assert.equal(outside.code, 2, "a Dockerfile outside the context is refused before anything is sent");
    assert.match(outside.stderr, /must be a path inside the current directory/);
  });

  test("a bad mc.toml is a usage error naming the file", async () => {
    const dir = await appDir({ "mc.toml": 'image = "x"\nports = 80\n' });
    dirs.push(dir);
    const result = await mc(["deploy", "web"], acme.env, { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /mc\.toml/);
  });
});

/** Containers on the engine whose command carries `token` (a build's RUN step: intermediate containers have no labels). */
async function containersRunning(token: string) {
  const all = await docker.listContainers({ all: true });
  return all.filter((c) => c.Command.includes(token));
}

/** The cgroups a daemon's builds run under (cgroup v1: one directory per controller). */
async function buildCgroups(prefix: string): Promise<string[]> {
  const found: string[] = [];
  for (const controller of await readdir("/sys/fs/cgroup").catch(() => [] as string[])) {
    const names = await readdir(path.join("/sys/fs/cgroup", controller)).catch(() => [] as string[]);
    found.push(...names.filter((name) => name === `${prefix}-builds`).map((name) => `${controller}/${name}`));
  }
  return found;
}

describe("builds: time limit, cancellation and the storage quota", () => {
  let daemon: TestDaemon;
  let acme: TestTenant;
  const dirs: string[] = [];
  const tokens: string[] = [];
  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start();
    acme = await createTenant(daemon, "acme");
  });
  after(async () => {
    for (const token of tokens) {
      for (const c of await containersRunning(token))
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    await daemon.destroy();
  });

  /** A Dockerfile whose RUN step runs for ten minutes, marked with a token to find its container by. */
  async function sleeper(): Promise<{ dir: string; token: string }> {
    const token = `mc-sleeper-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const dir = await appDir({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN echo ${token} && sleep 600\n` });
    dirs.push(dir);
    tokens.push(token);
    return { dir, token };
  }

  test("killing the CLI mid-build stops the engine's build: the RUN step's container goes away", async () => {
    const { dir, token } = await sleeper();
    const child = spawn(process.execPath, [MC_BIN, "deploy", "slow", "--json"], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...acme.env },
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe"],
    });
    const exited = new Promise((resolve) => child.once("close", resolve));
    try {
      const running = await eventually(
        () => containersRunning(token),
        (list) => list.some((c) => c.State === "running"),
        60_000,
      );
      assert.ok(
        running.some((c) => c.State === "running"),
        "the RUN step started",
      );
      child.kill("SIGTERM");
      await exited;
      const left = await eventually(
        () => containersRunning(token),
        (list) => list.length === 0,
        30_000,
      );
      assert.deepEqual(left, [], "the build's container is removed once its client went away");
      assert.equal((await imagesOf(daemon.prefix, "acme")).length, 0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("a RUN step cannot start more than 512 processes (the tenant's builds' pids limit)", async () => {
    const dir = await appDir({
      Dockerfile: `FROM ${BASE_IMAGE}\nRUN i=0; while [ $i -lt 600 ]; do sleep 30 & i=$((i+1)); done; echo all $i started\n`,
    });
    dirs.push(dir);
    const result = await mc(["deploy", "forks", "--json"], acme.env, { cwd: dir });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /can't fork/);
    assert.doesNotMatch(result.stderr, /all 600 started/);
    const leftovers = await eventually(
      () => buildCgroups(daemon.prefix),
      (dirs) => dirs.length === 0,
      30_000,
    );
    assert.deepEqual(leftovers, [], "the builds' cgroups are removed after the build");
  });

  test("RUN steps run on the tenant's network (fenced off the host like its apps), not the engine's default bridge", async () => {
    const dir = await appDir({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN ip -4 -o addr show eth0 && exit 7\n` });
    dirs.push(dir);
    const result = await mc(["deploy", "where", "--json"], acme.env, { cwd: dir });
    assert.equal(result.code, 1, result.stderr);
    const [network] = await docker.listNetworks({ filters: { label: [`minicloud.prefix=${daemon.prefix}`, "minicloud.tenant=acme"] } });
    const subnet = network?.IPAM?.Config?.[0]?.Subnet;
    assert.ok(subnet, "the tenant's network exists");
    const address = /inet (\d+\.\d+\.\d+)\.\d+\//.exec(result.stderr)?.[1];
    assert.equal(address, subnet.split(".").slice(0, 3).join("."), result.stderr);
  });

  test("a built image counts in the tenant's storage (mc quota: usage.images, part of usage.storage)", async () => {
    const dir = await appDir({
      Dockerfile: `FROM ${BASE_IMAGE}\nRUN mkdir -p /www && head -c 1000000 /dev/urandom > /www/blob\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
      "mc.toml": 'app = "sized"\nport = 8080\n',
    });
    dirs.push(dir);
    const built = await mc(["deploy", "--json"], acme.env, { cwd: dir });
    assert.equal(built.code, 0, built.stderr);
    const images = await imagesOf(daemon.prefix, "acme");
    assert.equal(images.length, 1, built.stderr);
    const quota = await mc(["quota", "--json"], acme.env);
    assert.equal(quota.code, 0, quota.stderr);
    const usage = json<{ usage: { storage: number; images?: number } }>(quota.stdout).usage;
    assert.ok((usage.images ?? 0) > (images[0]?.Size ?? 0), "the image on the engine, and its copy in the built-in registry");
    assert.ok(usage.storage >= (usage.images ?? 0));
    await mc(["destroy", "sized", "--yes"], acme.env);
  });

  test("a build over the tenant's storage quota is refused and leaves no image", async () => {
    const small = await createTenant(daemon, "small", ["--max-storage", "3m"]);
    const dir = await appDir({ Dockerfile: `FROM ${BASE_IMAGE}\nRUN head -c 2000000 /dev/urandom > /blob\n` });
    dirs.push(dir);
    const result = await mc(["deploy", "big", "--json"], small.env, { cwd: dir });
    assert.equal(result.code, 1, result.stderr);
    assert.match(errorOf(result).message, /storage to .*over its limit of 3/);
    assert.equal((await imagesOf(daemon.prefix, "small")).length, 0, "the image was removed");
    assert.equal((await mc(["status", "big"], small.env)).code, 1, "no app was created");
  });

  test("a build that runs past MC_BUILD_TIMEOUT is stopped with a message naming the limit", async () => {
    await daemon.restart("SIGTERM", { MC_BUILD_TIMEOUT: "3" });
    const { dir, token } = await sleeper();
    const result = await mc(["deploy", "late", "--json"], acme.env, { cwd: dir });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(errorOf(result).code, "build_failed");
    assert.match(errorOf(result).message, /stopped after 3 s.*MC_BUILD_TIMEOUT/);
    const left = await eventually(
      () => containersRunning(token),
      (list) => list.length === 0,
      30_000,
    );
    assert.deepEqual(left, [], "the stopped build's container is removed");
    const cgroups = await eventually(
      () => buildCgroups(daemon.prefix),
      (dirs) => dirs.length === 0,
      30_000,
    );
    assert.deepEqual(cgroups, [], "and so are the builds' cgroups");
  });
});
