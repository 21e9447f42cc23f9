import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { docker } from "./harness/docker.ts";
import { curl, eventually } from "./harness/http.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE, SAMPLE_IMAGE } from "./harness/paths.ts";
import { createTenant, type TestTenant } from "./harness/tenant.ts";

/** The real docker CLI, with a config dir of its own: logins never touch the user's ~/.docker. */
function dockerCli(configDir: string, args: string[], input?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      "docker",
      args,
      { env: { ...process.env, DOCKER_CONFIG: configDir }, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** curl with the response headers kept (`-D -`), for what the ingress does to the registry's answers. */
function curlHeaders(args: string[]): Promise<string> {
  return new Promise((resolve) => execFile("curl", ["-sS", "--max-time", "10", "-D", "-", ...args], (_error, stdout) => resolve(stdout)));
}

interface EventJson {
  type: string;
  tenant: string;
  data: Record<string, unknown>;
}

/** The tenant's events (`mc events --json` prints one per line). */
async function eventsOf(env: NodeJS.ProcessEnv): Promise<EventJson[]> {
  const result = await mc(["events", "--json", "-n", "1000"], env);
  return result.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => json<EventJson>(line));
}

describe("the built-in registry", () => {
  let daemon: TestDaemon;
  let acme: TestTenant;
  let globex: TestTenant;
  let configDir: string;
  let host: string;
  const dirs: string[] = [];
  /** Every image name the test gives the engine, removed afterwards also on failure. */
  const tags = new Set<string>();

  const login = (tenant: string, key: string) => dockerCli(configDir, ["login", host, "-u", tenant, "--password-stdin"], key);
  const tag = async (reference: string) => {
    tags.add(reference);
    const [repo, version] = [reference.slice(0, reference.lastIndexOf(":")), reference.slice(reference.lastIndexOf(":") + 1)];
    await docker.getImage(SAMPLE_IMAGE).tag({ repo, tag: version });
  };

  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start();
    host = `127.0.0.1:${daemon.registryPort}`;
    configDir = await mkdtemp(path.join(os.tmpdir(), "mc-docker-config-"));
    acme = await createTenant(daemon, "acme");
    globex = await createTenant(daemon, "globex");
    // Builds start FROM the base image: the admin lets every tenant use it.
    const published = await mc(["images", "publish", BASE_IMAGE], daemon.env);
    assert.equal(published.code, 0, published.stderr);
  });

  after(async () => {
    await dockerCli(configDir, ["logout", host]).catch(() => undefined);
    for (const reference of tags)
      await docker
        .getImage(reference)
        .remove({ force: true })
        .catch(() => undefined);
    await daemon.destroy();
    for (const dir of [configDir, ...dirs]) await rm(dir, { recursive: true, force: true });
  });

  test("docker login with a tenant's key, push into its namespace; another namespace and a wrong key are refused", async () => {
    const wrong = await login("acme", `${acme.key.slice(0, -4)}abcd`);
    assert.notEqual(wrong.code, 0, "a wrong key is refused");
    const borrowed = await login("globex", acme.key);
    assert.notEqual(borrowed.code, 0, "acme's key does not log in as globex");

    const ok = await login("acme", acme.key);
    assert.equal(ok.code, 0, ok.output);
    await tag(`${host}/acme/hello:v1`);
    const pushed = await dockerCli(configDir, ["push", `${host}/acme/hello:v1`]);
    assert.equal(pushed.code, 0, pushed.output);

    await tag(`${host}/globex/hello:v1`);
    const foreign = await dockerCli(configDir, ["push", `${host}/globex/hello:v1`]);
    assert.notEqual(foreign.code, 0, "pushing into another tenant's namespace is refused");
    assert.match(foreign.output, /denied|unauthorized|insufficient_scope/i);
  });

  test("the registry killed with SIGKILL is restarted by mcd; pushes work again and no image is lost", async () => {
    const before = await daemon.childPid("registry");
    process.kill(before, "SIGKILL");
    const after = await eventually(
      () => daemon.childPid("registry").catch(() => 0),
      (pid) => pid !== 0 && pid !== before,
      20_000,
    );
    assert.notEqual(after, before);
    await eventually(
      () =>
        fetch(`http://${host}/v2/`).then(
          (r) => r.status,
          () => 0,
        ),
      (status) => status === 401,
      20_000,
    );
    await tag(`${host}/acme/hello:v2`);
    const pushed = await dockerCli(configDir, ["push", `${host}/acme/hello:v2`]);
    assert.equal(pushed.code, 0, pushed.output);
    // v1, pushed before the kill, is still there: pulled again after removing the local copy.
    await docker.getImage(`${host}/acme/hello:v1`).remove({ force: true });
    const pulled = await dockerCli(configDir, ["pull", `${host}/acme/hello:v1`]);
    assert.equal(pulled.code, 0, pulled.output);
  });

  test("mc daemon status shows the registry; a restart of mcd adopts it (same process) and it keeps its images", async () => {
    const status = async () => {
      const result = await mc(["daemon", "status", "--json"], daemon.env);
      assert.equal(result.code, 0, result.stderr);
      return json<{ health: { components: Record<string, { name: string; state: string; pid: number; adopted: boolean }> } }>(result.stdout)
        .health.components.registry;
    };
    const before = await status();
    assert.equal(before?.name, "registry");
    assert.equal(before?.state, "running");
    await daemon.restart();
    const after = await status();
    assert.deepEqual([after?.state, after?.pid, after?.adopted], ["running", before?.pid, true]);
    const pulled = await dockerCli(configDir, ["pull", `${host}/acme/hello:v2`]);
    assert.equal(pulled.code, 0, pulled.output);
  });

  test("a tenant deploys its pushed image by the long and the short form; the engine pulls it and the ingress serves it", async () => {
    // Only the registry has the name now: the deploy must pull it, with a login mcd makes for acme.
    await docker.getImage(`${host}/acme/hello:v1`).remove({ noprune: true });
    const long = await mc(["deploy", "web", "--image", `${host}/acme/hello:v1`, "--port", "8080", "--json"], acme.env);
    assert.equal(long.code, 0, long.stderr);
    assert.equal((await curl(daemon.url("web", "acme"))).status, 200);

    const short = await mc(["deploy", "site", "--image", "registry/acme/hello:v2", "--port", "8080", "--json"], acme.env);
    assert.equal(short.code, 0, short.stderr);
    assert.equal(json<{ image: string }>(short.stdout).image, `${host}/acme/hello:v2`, "the short form is the registry's loopback name");
    assert.equal((await curl(daemon.url("site", "acme"))).status, 200);
  });

  test("another tenant can neither pull nor deploy it, by either form, though the engine has it", async () => {
    for (const image of [`${host}/acme/hello:v1`, "registry/acme/hello:v1"]) {
      const stolen = await mc(["deploy", "copy", "--image", image, "--port", "8080", "--json"], globex.env);
      assert.equal(stolen.code, 2, stolen.stderr);
      assert.match(errorOf(stolen).message, /was not found/, "reads like a missing image");
    }
    const ok = await login("globex", globex.key);
    assert.equal(ok.code, 0, ok.output);
    const pulled = await dockerCli(configDir, ["pull", `${host}/acme/hello:v1`]);
    assert.notEqual(pulled.code, 0, "globex's login does not pull acme's image");
    assert.match(pulled.output, /denied|unauthorized|not found/i);
    const catalog = await curl(`http://${host}/v2/_catalog`);
    assert.equal(catalog.status, 401, "no catalog without a token");
  });

  test("remote users reach the registry through the ingress over HTTPS: registry.<domain>, the token realm rewritten to it", async () => {
    const ca = await mc(["ingress", "ca"], acme.env);
    assert.equal(ca.code, 0, ca.stderr);
    const caFile = path.join(daemon.dir, "ingress-ca.pem");
    await writeFile(caFile, ca.stdout);
    const base = `https://registry.localhost:${daemon.httpsPort}`;
    const challenge = await eventually(
      () => curlHeaders(["--cacert", caFile, `${base}/v2/`]),
      (text) => /^HTTP\/\S+ 401/m.test(text),
      15_000,
    );
    assert.match(challenge, new RegExp(`realm="${base}/v1/registry/token"`, "i"), challenge);
    const token = await curl(`${base}/v1/registry/token?service=minicloud-registry&scope=repository:acme/hello:pull`, {
      cacert: caFile,
      headers: { Authorization: `Basic ${Buffer.from(`acme:${acme.key}`).toString("base64")}` },
    });
    assert.equal(token.status, 200, token.body);
    const bearer = json<{ token: string }>(token.body).token;
    const tags = await curl(`${base}/v2/acme/hello/tags/list`, { cacert: caFile, headers: { Authorization: `Bearer ${bearer}` } });
    assert.equal(tags.status, 200, tags.body);
    assert.deepEqual(json<{ tags: string[] }>(tags.body).tags.sort(), ["v1", "v2"]);

    // A push through the ingress: a 5 MB layer uploaded in one request, with a push token got through it.
    const pushToken = await curl(`${base}/v1/registry/token?service=minicloud-registry&scope=repository:acme/remote:pull,push`, {
      cacert: caFile,
      headers: { Authorization: `Basic ${Buffer.from(`acme:${acme.key}`).toString("base64")}` },
    });
    const auth = ["-H", `Authorization: Bearer ${json<{ token: string }>(pushToken.body).token}`];
    const started = await curlHeaders(["--cacert", caFile, ...auth, "-X", "POST", `${base}/v2/acme/remote/blobs/uploads/`]);
    assert.match(started, /^HTTP\/\S+ 202/m, started);
    const location = /^location:\s*(\S+)/im.exec(started)?.[1] ?? "";
    const blob = randomBytes(5_000_000);
    const blobFile = path.join(daemon.dir, "blob.bin");
    await writeFile(blobFile, blob);
    const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
    const uploadUrl = new URL(location, base);
    uploadUrl.searchParams.set("digest", digest);
    const uploaded = await curlHeaders([
      "--cacert",
      caFile,
      ...auth,
      "-X",
      "PUT",
      "-H",
      "Content-Type: application/octet-stream",
      "--data-binary",
      `@${blobFile}`,
      uploadUrl.toString(),
    ]);
    assert.match(uploaded, /^HTTP\/\S+ 201/m, uploaded);
    const stored = await curlHeaders(["-I", ...auth, `http://${host}/v2/acme/remote/blobs/${digest}`]);
    assert.match(stored, /^HTTP\/\S+ 200/m, "the blob is in the registry");
  });

  test("a Dockerfile deploy pushes its image into the tenant's namespace, an image.pushed event", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "mc-registry-build-"));
    dirs.push(dir);
    await writeFile(path.join(dir, "Dockerfile"), `FROM ${BASE_IMAGE}\nCMD ["httpd", "-f", "-p", "8080", "-h", "/"]\n`);
    const built = await mc(["deploy", "built", "--port", "8080", "--json"], acme.env, { cwd: dir });
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stderr, /pushed to the built-in registry as registry\/acme\/built:/);
    const image = json<{ image: string }>(built.stdout).image;
    const version = image.slice(image.lastIndexOf(":") + 1);
    const pushed = await eventually(
      () => eventsOf(acme.env),
      (events) => events.some((e) => e.type === "image.pushed" && e.data.image === `registry/acme/built:${version}`),
      15_000,
    );
    assert.ok(
      pushed.some((e) => e.type === "image.pushed" && e.data.image === `registry/acme/built:${version}`),
      JSON.stringify(pushed.filter((e) => e.type === "image.pushed")),
    );
    assert.ok(
      pushed.some((e) => e.type === "image.pushed" && e.data.image === "registry/acme/hello:v1"),
      "docker push is an event too",
    );
  });

  test("an image that takes its tenant over the storage quota is deleted from the registry (quota.rejected) and cannot be deployed", async () => {
    const tiny = await createTenant(daemon, "tiny", ["--max-storage", "1m"]);
    const ok = await login("tiny", tiny.key);
    assert.equal(ok.code, 0, ok.output);
    const dir = await mkdtemp(path.join(os.tmpdir(), "mc-registry-big-"));
    dirs.push(dir);
    await writeFile(path.join(dir, "Dockerfile"), `FROM ${BASE_IMAGE}\nRUN head -c 3000000 /dev/urandom > /blob\n`);
    const reference = `${host}/tiny/big:v1`;
    tags.add(reference);
    const build = await dockerCli(configDir, ["build", "-q", "-t", reference, dir]);
    assert.equal(build.code, 0, build.output);
    await dockerCli(configDir, ["push", reference]);
    const events = await eventually(
      () => eventsOf(tiny.env),
      (list) => list.some((e) => e.type === "quota.rejected"),
      15_000,
    );
    const rejected = events.find((e) => e.type === "quota.rejected");
    assert.equal(rejected?.data.image, "registry/tiny/big:v1", JSON.stringify(events));
    // The engine still has it under that name (built here): that copy grants nothing.
    const deploy = await mc(["deploy", "big", "--image", "registry/tiny/big:v1", "--json"], tiny.env);
    assert.equal(deploy.code, 2, deploy.stderr);
    assert.match(errorOf(deploy).message, /was not found/);
  });

  test("a deleted tenant's namespace goes with it: a new tenant of the same name finds nothing", async () => {
    const deleted = await mc(["tenants", "delete", "globex", "--yes"], daemon.env);
    assert.equal(deleted.code, 0, deleted.stderr);
    const again = await createTenant(daemon, "globex");
    // acme's key cannot push there; an image pushed by the old globex would be listed for the new one.
    const ok = await login("globex", again.key);
    assert.equal(ok.code, 0, ok.output);
    await tag(`${host}/globex/left:v1`);
    const pushed = await dockerCli(configDir, ["push", `${host}/globex/left:v1`]);
    assert.equal(pushed.code, 0, pushed.output);
    assert.equal((await mc(["tenants", "delete", "globex", "--yes"], daemon.env)).code, 0);
    const fresh = await createTenant(daemon, "globex");
    const token = await curl(
      `http://127.0.0.1:${daemon.port}/v1/registry/token?service=minicloud-registry&scope=repository:globex/left:pull`,
      {
        headers: { Authorization: `Basic ${Buffer.from(`globex:${fresh.key}`).toString("base64")}` },
      },
    );
    const tags = await curl(`http://${host}/v2/globex/left/tags/list`, {
      headers: { Authorization: `Bearer ${json<{ token: string }>(token.body).token}` },
    });
    assert.equal(tags.status, 404, `the old tenant's repository is gone: ${tags.body}`);
    assert.equal((await mc(["deploy", "left", "--image", "registry/globex/left:v1", "--json"], fresh.env)).code, 2);
  });
});
