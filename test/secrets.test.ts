import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ApiError, appSchema, type DeployRequest, secretListSchema, secretsChangeResultSchema } from "@minicloud/shared";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf, docker } from "./harness/docker.ts";
import { curl, eventually } from "./harness/http.ts";
import { errorOf, json, type McResult, mc } from "./harness/mc.ts";
import { BASE_IMAGE, MC_BIN, MCD_BIN } from "./harness/paths.ts";
import { createTenant } from "./harness/tenant.ts";

/** Unique, so finding one anywhere can only mean it leaked. */
const secret = (label: string) => `${label}-${randomBytes(12).toString("hex")}`;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const FIRST = secret("first");
const SECOND = secret("second");
const MULTI = `-----BEGIN KEY-----\n${secret("multi")}\n-----END KEY-----`;
const FROM_FILE = secret("fromfile");
const STAGED = secret("staged");
const SLOW_OLD = secret("slowold");
const SLOW_NEW = secret("slownew");
const OTHER_TENANT = secret("othertenant");
const REQUIRED = secret("required");
const VALUES = [FIRST, SECOND, MULTI.split("\n")[1] ?? MULTI, FROM_FILE, STAGED, SLOW_OLD, SLOW_NEW, OTHER_TENANT, REQUIRED];

/** Prints a hash of $API_KEY (never the value) and waits. */
const HASHING = ["sh", "-c", 'echo "API_KEY sha256 $(printf %s "$API_KEY" | sha256sum | cut -d" " -f1)"; exec sleep 3600'];

interface SecretListJson {
  app: string;
  version: number;
  deployedVersion: number | null;
  secrets: { name: string; digest: string; createdAt: string; deployed: boolean }[];
  pendingRemoval: string[];
}
interface ChangeJson extends SecretListJson {
  changed: string[];
  deploy: {
    release: number;
    secretKeys: string[];
    envKeys: string[];
    changes: { field: string; from: string | null; to: string | null }[];
  } | null;
}

describe("secrets: sealed at rest, versioned with releases, never shown", () => {
  let daemon: TestDaemon;
  let work: string;
  /** Every mc output of the run, searched for the values at the end. */
  const outputs: string[] = [];

  /** `mc` with stdin (the harness' has none), recorded for the final sweep. */
  function run(args: string[], input?: string | Buffer, env: NodeJS.ProcessEnv = daemon.env): Promise<McResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [MC_BIN, ...args], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env },
        stdio: ["pipe", "pipe", "pipe"],
        cwd: work,
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.stdin.on("error", () => undefined);
      child.stdin.end(input ?? "");
      const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
      child.once("error", reject);
      child.once("close", (code) => {
        clearTimeout(timer);
        outputs.push(stdout, stderr);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  async function ok<T>(args: string[], input?: string): Promise<T> {
    const result = await run([...args, "--json"], input);
    assert.equal(result.code, 0, `mc ${args.join(" ")}: ${result.stderr}`);
    return json<T>(result.stdout);
  }

  /** The hash the app's current instances printed (logs of the running release only). */
  async function printedHash(app: string): Promise<string | undefined> {
    const result = await run(["logs", app, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const hashes = [...result.stdout.matchAll(/API_KEY sha256 ([0-9a-f]{64})/g)].map((m) => m[1]);
    return hashes.at(-1);
  }

  async function deploy(request: DeployRequest): Promise<void> {
    const client = daemon.client();
    try {
      outputs.push(JSON.stringify(await client.apps.deploy(request)));
    } finally {
      await client.close();
    }
  }

  async function expectRefused(args: string[], input: string | undefined, exit: number, pattern: RegExp): Promise<McResult> {
    const result = await run([...args, "--json"], input);
    assert.equal(result.code, exit, `mc ${args.join(" ")}: ${result.stdout} ${result.stderr}`);
    assert.match(errorOf(result).message, pattern);
    return result;
  }

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "mc-secrets-"));
    daemon = await TestDaemon.create();
    // Debug logging: the sweep at the end also covers what the daemon logs at its most talkative.
    await daemon.start({ MC_LOG_LEVEL: "debug" });
    await deploy({ name: "vault", image: BASE_IMAGE, command: HASHING });
  });
  after(async () => {
    await daemon.destroy();
    await rm(work, { recursive: true, force: true });
  });

  test("the master key is created at first start, 0600", async () => {
    const info = await stat(path.join(daemon.dir, "master.key"));
    assert.equal(info.mode & 0o777, 0o600);
  });

  test("set from stdin is a new release; the app sees the value (its hash), the API only names it", async () => {
    const result = await ok<ChangeJson>(["secrets", "set", "vault", "API_KEY=-"], FIRST);
    // The answers match the shared schemas (strictly: the contract the client types them by).
    assert.ok(secretsChangeResultSchema.strict().safeParse(result).success, JSON.stringify(result));
    assert.deepEqual(result.changed, ["API_KEY"]);
    assert.equal(result.deploy?.release, 2);
    assert.deepEqual(result.deploy?.secretKeys, ["API_KEY"]);
    assert.deepEqual(result.deploy?.envKeys, [], "secrets are not listed as plain env");
    assert.deepEqual(
      result.deploy?.changes.filter((c) => c.field.startsWith("secret.")),
      [{ field: "secret.API_KEY", from: null, to: "(set)" }],
    );
    assert.equal(await printedHash("vault"), sha256(FIRST));
    const list = await ok<SecretListJson>(["secrets", "list", "vault"]);
    assert.ok(secretListSchema.strict().safeParse(list).success, JSON.stringify(list));
    assert.ok(appSchema.safeParse(await ok(["status", "vault"])).success, "the app view with secretKeys");
    assert.equal(list.secrets.length, 1);
    assert.equal(list.secrets[0]?.name, "API_KEY");
    assert.equal(list.secrets[0]?.deployed, true);
    assert.match(list.secrets[0]?.digest ?? "", /^[0-9a-f]{16}$/);
    assert.notEqual(list.secrets[0]?.digest, sha256(FIRST).slice(0, 16), "the digest is keyed, not a plain hash");
    const human = await run(["releases", "vault"]);
    assert.match(human.stdout, /secret\.API_KEY added/);
  });

  test("a staged change waits for the next deploy; setting the same value again changes nothing", async () => {
    const staged = await ok<ChangeJson>(["secrets", "set", "vault", `API_KEY=${SECOND}`, "--stage"]);
    assert.equal(staged.deploy, null);
    assert.equal(staged.secrets[0]?.deployed, false);
    assert.equal(await printedHash("vault"), sha256(FIRST), "the running release keeps its secrets");
    const again = await ok<ChangeJson>(["secrets", "set", "vault", `API_KEY=${SECOND}`, "--stage"]);
    assert.deepEqual(again.changed, []);
    assert.equal(again.version, staged.version);
    const deployed = await ok<ChangeJson["deploy"] & object>(["deploy", "vault", "--image", BASE_IMAGE]);
    assert.equal(deployed.release, 3);
    assert.ok(deployed.changes.some((c) => c.field === "secret.API_KEY" && c.to === "(changed)"));
    assert.equal(await printedHash("vault"), sha256(SECOND));
  });

  test("rollback returns to the release's secrets, and the next deploy keeps them", async () => {
    await ok(["rollback", "vault"]);
    assert.equal(await printedHash("vault"), sha256(FIRST));
    const list = await ok<SecretListJson>(["secrets", "list", "vault"]);
    assert.equal(list.secrets[0]?.deployed, true, "the rolled-back set is the latest again");
    await ok(["deploy", "vault", "--image", BASE_IMAGE]);
    assert.equal(await printedHash("vault"), sha256(FIRST));
    const releases = await ok<{ releases: { version: number; changes: { field: string }[] }[] }>(["releases", "vault"]);
    assert.ok(releases.releases.find((r) => r.version === 4)?.changes.some((c) => c.field === "secret.API_KEY"));
  });

  test("import from a dotenv file and --from-file, newlines kept; unset removes through a release", async () => {
    await writeFile(path.join(work, "key.pem"), FROM_FILE);
    const imported = await ok<ChangeJson>(
      ["secrets", "import", "vault", "--stage"],
      `# comment\nMULTI="${MULTI.replaceAll("\n", "\\n")}"\nexport PLAIN=${STAGED}\n`,
    );
    assert.deepEqual([...imported.changed].sort(), ["MULTI", "PLAIN"]);
    await ok(["secrets", "set", "vault", "--from-file", "FILE_KEY=key.pem", "--stage"]);
    const result = await ok<ChangeJson>(["secrets", "unset", "vault", "PLAIN"]);
    assert.deepEqual(result.deploy?.secretKeys, ["API_KEY", "FILE_KEY", "MULTI"]);
    const app = daemon.client();
    try {
      const instance = (await app.apps.get("vault")).instances[0];
      assert.ok(instance);
      const container = (await containersOf(daemon.prefix, ["minicloud.app=vault"])).find(
        (c) => c.Labels["minicloud.instance"] === instance.id,
      );
      const env = (await docker.getContainer(container?.Id ?? "").inspect()).Config.Env;
      // What root on the host sees (outside the threat model): the values as given, newlines and all.
      assert.ok(env.includes(`MULTI=${MULTI}`));
      assert.ok(env.includes(`FILE_KEY=${FROM_FILE}`));
      assert.ok(!env.some((e) => e.startsWith("PLAIN=")));
    } finally {
      await app.close();
    }
  });

  test("bad names and values are refused before any request, and by the daemon", async () => {
    for (const pair of ["1A=x", "A-B=x", "=x", "PATH=x", "LD_PRELOAD=x", "MC_TOKEN=x"]) {
      const result = await expectRefused(["secrets", "set", "vault", pair], undefined, 2, /secret name|needs a name|reserved/);
      assert.doesNotMatch(result.stderr, /=x/, "the value is not echoed");
    }
    await expectRefused(["secrets", "set", "vault", "NOEQUALS"], undefined, 2, /NAME=VALUE/);
    await writeFile(path.join(work, "nul"), `ab\0cd${FIRST}`);
    await expectRefused(["secrets", "set", "vault", "--from-file", "NUL_KEY=nul"], undefined, 2, /NUL/);
    await writeFile(path.join(work, "big"), "x".repeat(1024 * 1024));
    await expectRefused(["secrets", "set", "vault", "--from-file", "BIG=big"], undefined, 2, /at most 65536 bytes/);
    const many = Array.from({ length: 1000 }, (_, i) => `S${i}=v${i}`).join("\n");
    await expectRefused(["secrets", "import", "vault"], many, 2, /at most 500/);
    await expectRefused(["secrets", "unset", "vault", "NOT_THERE"], undefined, 1, /has no secret NOT_THERE/);

    const client = daemon.client();
    try {
      const refused = async (request: Parameters<typeof client.secrets.change>[1], code: string, pattern: RegExp) => {
        const error = await client.secrets.change("vault", request).then(
          () => assert.fail("accepted"),
          (e: unknown) => e as ApiError,
        );
        assert.ok(error instanceof ApiError, String(error));
        assert.equal(error.code, code);
        assert.match(error.message, pattern);
        outputs.push(error.message);
      };
      await refused({ set: { "1A": "x" } }, "invalid_input", /set\.1A: secret names are environment variable names/);
      await refused({ set: { NUL: `a\0${FIRST}` } }, "invalid_input", /NUL/);
      await refused({ set: { BIG: "y".repeat(100 * 1024) } }, "invalid_input", /at most 65536 bytes/);
      await refused({ set: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`S${i}`, "v"])) }, "invalid_input", /at most 500/);
      // Many medium values stay under the count but not under the total.
      await refused(
        { set: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`T${i}`, "t".repeat(60_000)])), stage: true },
        "invalid_input",
        /at most 524288/,
      );
      await refused({}, "invalid_input", /at least one/);
      // Last: the daemon answers before reading such a body, and drops the connection after it.
      await refused({ set: { HUGE: "z".repeat(1024 * 1024) } }, "payload_too_large", /limited to 1024 KiB/);
      const fresh = daemon.client();
      const list = await fresh.secrets.list("vault").finally(() => fresh.close());
      assert.deepEqual(
        list.secrets.map((s) => s.name),
        ["API_KEY", "FILE_KEY", "MULTI"],
        "nothing refused was stored",
      );
    } finally {
      await client.close();
    }
    // A value with newlines is fine (MULTI above); an empty one too.
    await ok(["secrets", "set", "vault", "EMPTY=", "--stage"]);
    await ok(["secrets", "unset", "vault", "EMPTY", "--stage"]);
  });

  test("an unknown app and another tenant's app are not found; staging for a first deploy works", async () => {
    await expectRefused(["secrets", "set", "ghost", "A=1"], undefined, 1, /app ghost not found/);
    await expectRefused(["secrets", "list", "ghost"], undefined, 1, /app ghost not found/);
    const other = await createTenant(daemon, "other");
    const asOther = (args: string[], input?: string) => run([...args, "--json"], input, other.env);
    for (const args of [
      ["secrets", "list", "vault"],
      ["secrets", "set", "vault", `API_KEY=${OTHER_TENANT}`],
      ["secrets", "unset", "vault", "API_KEY"],
    ]) {
      const result = await asOther(args);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(errorOf(result).code, "not_found");
    }
    assert.equal(await printedHash("vault"), sha256(FIRST), "the default tenant's app is untouched");
  });

  test("mc.toml's required secrets: a deploy without them fails before anything starts, naming them", async () => {
    const dir = path.join(work, "needs");
    await rm(dir, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(dir));
    await writeFile(
      path.join(dir, "mc.toml"),
      `app = "needs"\nimage = "${BASE_IMAGE}"\ncommand = ["sh", "-c", "exec sleep 3600"]\nsecrets = ["DATABASE_URL", "REDIS_URL"]\n`,
    );
    const inDir = (args: string[]) =>
      mc([...args, "--json"], daemon.env, { cwd: dir }).then((r) => {
        outputs.push(r.stdout, r.stderr);
        return r;
      });
    const refused = await inDir(["deploy"]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(errorOf(refused).message, /requires secrets DATABASE_URL, REDIS_URL/);
    assert.equal((await containersOf(daemon.prefix, ["minicloud.app=needs"])).length, 0, "nothing started");
    await ok(["secrets", "set", "needs", "DATABASE_URL=-", "--stage"], REQUIRED);
    const half = await inDir(["deploy"]);
    assert.equal(half.code, 2);
    assert.match(errorOf(half).message, /requires secret REDIS_URL/);
    await ok(["secrets", "set", "needs", "REDIS_URL=redis://r", "--stage"]);
    const deployed = await inDir(["deploy"]);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.deepEqual(json<{ secretKeys: string[] }>(deployed.stdout).secretKeys, ["DATABASE_URL", "REDIS_URL"]);
    await expectRefused(["secrets", "unset", "needs", "REDIS_URL"], undefined, 2, /needs requires REDIS_URL/);
    await ok(["apps", "destroy", "needs", "--yes"]);
    await expectRefused(["secrets", "list", "needs"], undefined, 1, /not found/);
  });

  test("a tampered ciphertext or a wrong master key: the instance is refused with a clear message, the daemon stays up", async () => {
    const stateFile = path.join(daemon.dir, "state.json");
    await daemon.stop();
    const original = await readFile(stateFile, "utf8");
    const state = JSON.parse(original) as {
      secrets: { app: string; current: Record<string, number>; values: { name: string; version: number; sealed: string }[] }[];
    };
    const record = state.secrets.find((s) => s.app === "vault");
    const value = record?.values.find((v) => v.name === "API_KEY" && v.version === record.current.API_KEY);
    assert.ok(value);
    const last = value.sealed.at(-5) === "A" ? "B" : "A";
    value.sealed = `${value.sealed.slice(0, -5)}${last}${value.sealed.slice(-4)}`;
    await writeFile(stateFile, JSON.stringify(state));
    await daemon.start({ MC_LOG_LEVEL: "debug" });

    const refused = await expectRefused(["deploy", "vault", "--image", BASE_IMAGE], undefined, 1, /secret API_KEY of vault does not open/);
    assert.match(errorOf(refused).message, /set it again/);
    assert.equal(await printedHash("vault"), sha256(FIRST), "the running release keeps serving");
    // A missing instance is replaced by reconciliation, which refuses it and carries on.
    const running = await containersOf(daemon.prefix, ["minicloud.app=vault"]);
    for (const c of running) await docker.getContainer(c.Id).remove({ force: true });
    await daemon.restart("SIGTERM", { MC_LOG_LEVEL: "debug" });
    const events = await eventually(
      () => run(["events", "--app", "vault", "-n", "1000", "--json"]).then((r) => r.stdout),
      (text) => text.includes("instance.start_failed"),
      15_000,
    );
    assert.match(events, /instance\.start_failed.*does not open/);
    assert.equal(
      (await daemon
        .client()
        .health()
        .then(
          (h) => h,
          () => undefined,
        )) !== undefined,
      true,
      "the daemon is up",
    );

    // A wrong master key: every tenant key is refused, clearly, and nothing crashes.
    await daemon.stop();
    await writeFile(stateFile, original);
    const keyFile = path.join(daemon.dir, "master.key");
    const realKey = await readFile(keyFile);
    await writeFile(keyFile, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
    await daemon.start({ MC_LOG_LEVEL: "debug" });
    await expectRefused(["secrets", "set", "vault", "API_KEY=-"], FIRST, 1, /does not open under this daemon's master key/);
    await daemon.stop();
    await writeFile(keyFile, realKey, { mode: 0o600 });
    await daemon.start({ MC_LOG_LEVEL: "debug" });
    await eventually(
      () => printedHash("vault"),
      (hash) => hash === sha256(FIRST),
      20_000,
    );
    assert.equal(await printedHash("vault"), sha256(FIRST), "with the right key and state, the instance is back");
  });

  test("kill -9 during a secrets deploy: the old release keeps serving with its old secrets after restart", async () => {
    // Slow to become healthy, so the daemon dies while the new release starts.
    const slow = [
      "sh",
      "-c",
      'echo "API_KEY sha256 $(printf %s "$API_KEY" | sha256sum | cut -d" " -f1)"; mkdir -p /tmp/www; echo ok > /tmp/www/index.html; sleep 4; exec httpd -f -p 8080 -h /tmp/www',
    ];
    await ok(["secrets", "set", "slow", "API_KEY=-", "--stage"], SLOW_OLD);
    await deploy({ name: "slow", image: BASE_IMAGE, port: 8080, command: slow, healthTimeout: 30 });
    assert.equal(await printedHash("slow"), sha256(SLOW_OLD));
    const pending = run(["secrets", "set", "slow", "API_KEY=-", "--json"], SLOW_NEW);
    await eventually(
      () => containersOf(daemon.prefix, ["minicloud.app=slow"]),
      (list) => list.length === 2,
      20_000,
    );
    await daemon.restart("SIGKILL", { MC_LOG_LEVEL: "debug" });
    assert.notEqual((await pending).code, 0, "the interrupted change did not report success");
    assert.equal((await curl(daemon.url("slow"))).status, 200);
    assert.equal(await printedHash("slow"), sha256(SLOW_OLD));
    const list = await ok<SecretListJson>(["secrets", "list", "slow"]);
    assert.equal(list.secrets[0]?.deployed, false, "the new value is stored, not running");
    const left = await eventually(
      () => containersOf(daemon.prefix, ["minicloud.app=slow"]),
      (l) => l.length === 1,
      20_000,
    );
    assert.equal(left.length, 1, "the interrupted release's container is removed");
  });

  test("mcd rotate-master-key re-wraps tenant keys; apps still start; refused while the daemon runs", async () => {
    const rotate = () =>
      new Promise<McResult>((resolve) => {
        const child = spawn(process.execPath, [MCD_BIN, "rotate-master-key"], { env: { ...process.env, ...daemon.env } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c) => (stdout += c));
        child.stderr.on("data", (c) => (stderr += c));
        child.once("close", (code) => {
          outputs.push(stdout, stderr);
          resolve({ code: code ?? -1, stdout, stderr });
        });
      });
    const running = await rotate();
    assert.equal(running.code, 1);
    assert.match(running.stderr, /mcd is running .* stop it first/);
    const keyFile = path.join(daemon.dir, "master.key");
    const before = await readFile(keyFile, "utf8");
    const stateBefore = await daemon.persistedState<{ secrets: unknown }>();
    await daemon.stop();
    const done = await rotate();
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /replaced by [0-9a-f]{12} .* tenant key\(s\) re-wrapped/);
    assert.notEqual(await readFile(keyFile, "utf8"), before);
    assert.equal(((await stat(keyFile)).mode & 0o777).toString(8), "600");
    const stateAfter = JSON.parse(await readFile(path.join(daemon.dir, "state.json"), "utf8")) as { secrets: unknown };
    assert.deepEqual(stateAfter.secrets, stateBefore.secrets, "sealed values are not touched");
    await daemon.start({ MC_LOG_LEVEL: "debug" });
    // New instances open their secrets under the new master key.
    await ok(["deploy", "vault", "--image", BASE_IMAGE]);
    assert.equal(await printedHash("vault"), sha256(FIRST));
    await ok(["secrets", "set", "vault", "API_KEY=-"], SECOND);
    assert.equal(await printedHash("vault"), sha256(SECOND));
  });

  test("a secrets change does not start a stopped app; its next deploy takes the set", async () => {
    await ok(["stop", "vault"]);
    const result = await ok<ChangeJson>(["secrets", "set", "vault", "LATER=1"]);
    assert.equal(result.deploy, null);
    assert.equal(result.secrets.find((s) => s.name === "LATER")?.deployed, false);
    assert.equal((await ok<{ desired: string }>(["status", "vault"])).desired, "stopped");
    await ok(["start", "vault"]);
    const deployed = await ok<{ secretKeys: string[]; desired: string }>(["deploy", "vault", "--image", BASE_IMAGE]);
    assert.ok(deployed.secretKeys.includes("LATER"));
  });

  test("no value anywhere: data dir (state, logs, events, audit), every mc output, the API's views", async () => {
    const seen: string[] = [...outputs];
    for (const command of [
      ["status", "vault"],
      ["apps", "list"],
      ["events", "-n", "10000"],
      ["audit", "--tail", "10000"],
      ["releases", "vault"],
      ["secrets", "list", "vault"],
    ]) {
      const result = await run([...command, "--json"]);
      assert.equal(result.code, 0, `${command.join(" ")}: ${result.stderr}`);
    }
    // The API's own answers too, including the single-instance view (what the engine reports of a container).
    const client = daemon.client();
    try {
      const app = await client.apps.get("vault");
      seen.push(JSON.stringify(app));
      for (const instance of app.instances) seen.push(JSON.stringify(await client.transport.json("GET", `/v1/instances/${instance.id}`)));
    } finally {
      await client.close();
    }
    seen.push(...outputs);
    const files = await filesUnder(daemon.dir);
    assert.ok(files.some((f) => f.endsWith("state.json")) && files.some((f) => f.endsWith("events.log")), files.join(", "));
    for (const file of files) {
      const content = await readFile(file).catch(() => Buffer.alloc(0));
      for (const value of VALUES) assert.ok(!content.includes(value), `${value.slice(0, 8)}… found in ${file}`);
    }
    for (const text of seen) for (const value of VALUES) assert.ok(!text.includes(value), `${value.slice(0, 8)}… found in mc output`);
  });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
