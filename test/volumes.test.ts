import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { constants, zstdCompressSync } from "node:zlib";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf, docker } from "./harness/docker.ts";
import { eventually } from "./harness/http.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE, MC_BIN } from "./harness/paths.ts";
import { createTenant, type TestTenant } from "./harness/tenant.ts";

interface VolumeJson {
  name: string;
  size: number;
  used: number | null;
  enforcement: string;
  attachedTo: { app: string; path: string } | null;
  snapshots: number;
  schedule: { cron: string; keep: number; lastError: string | null } | null;
}
interface SnapshotJson {
  id: string;
  kind: string;
  bytes: number;
  pauseMs: number | null;
  note: string | null;
}

const SLEEPER = "sleep 3600";

/** Runs a shell line in the app's instance and returns its stdout (mc exec, as a user would). */
async function sh(env: NodeJS.ProcessEnv, app: string, line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return mc(["exec", app, "--", "sh", "-c", line], env);
}

/** `mc volumes export` into a file (binary stdout, so not through the text-collecting harness). */
function exportTo(env: NodeJS.ProcessEnv, target: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(file);
    const child = spawn(process.execPath, ["--", MC_BIN, "volumes", "export", target], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout.pipe(out);
    child.once("error", reject);
    const written = new Promise<void>((done) => out.once("close", () => done()));
    child.once("close", (code) => void written.then(() => resolve(code ?? -1)));
  });
}

/** `mc volumes import NAME --size S < file`. */
function importFrom(
  env: NodeJS.ProcessEnv,
  name: string,
  size: string,
  file: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--", MC_BIN, "volumes", "import", name, "--size", size, "--json"], {
      env: { PATH: process.env.PATH, NO_COLOR: "1", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    createReadStream(file)
      .pipe(child.stdin)
      .on("error", () => undefined);
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("volumes: sizes that hold, snapshots, restore, export and import, schedules", () => {
  let daemon: TestDaemon;
  let acme: TestTenant;
  let beta: TestTenant;
  let dir: string;
  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start();
    [acme, beta] = await Promise.all([createTenant(daemon, "acme"), createTenant(daemon, "beta")]);
    dir = await mkdtemp(path.join(os.tmpdir(), "mc-volumes-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await daemon.destroy();
    assert.equal((await containersOf(daemon.prefix)).length, 0);
  });

  test("a volume is its own file system: writing past its size is ENOSPC in that container only", async () => {
    assert.equal((await mc(["volumes", "create", "small", "--size", "32m"], acme.env)).code, 0);
    assert.equal((await mc(["volumes", "create", "other", "--size", "32m"], acme.env)).code, 0);
    const deploy = await mc(
      ["deploy", "filler", "--image", BASE_IMAGE, "--command", SLEEPER, "--volume", "small:/data", "--json"],
      acme.env,
    );
    assert.equal(deploy.code, 0, deploy.stderr);
    const fill = await sh(acme.env, "filler", "dd if=/dev/zero of=/data/big bs=1M count=64 2>&1; echo exit=$?");
    assert.match(fill.stdout, /No space left on device/);
    assert.match(fill.stdout, /exit=1/);
    const list = json<{ volumes: VolumeJson[] }>((await mc(["volumes", "list", "--json"], acme.env)).stdout).volumes;
    const small = list.find((v) => v.name === "small");
    const other = list.find((v) => v.name === "other");
    assert.equal(small?.enforcement, "hard");
    assert.ok((small?.used ?? 0) > 20 * 1024 ** 2, `the full volume reports its use: ${small?.used}`);
    assert.ok((other?.used ?? Number.POSITIVE_INFINITY) < 1024 ** 2, "the other volume is untouched");
    assert.deepEqual(small?.attachedTo, { app: "filler", path: "/data" });
    // The data directory belongs to the container's user and survives a redeploy and a restart.
    await sh(acme.env, "filler", "rm /data/big; echo kept > /data/note");
    assert.equal((await mc(["deploy", "filler", "--image", BASE_IMAGE, "--env", "V=2"], acme.env)).code, 0);
    assert.equal((await mc(["restart", "filler"], acme.env)).code, 0);
    assert.equal((await sh(acme.env, "filler", "cat /data/note")).stdout.trim(), "kept");
  });

  test("bad sizes, names and mount paths are refused with the rule, before anything is made", async () => {
    for (const size of ["0", "-1g", "1.5x", "1e12"]) {
      const result = await mc(["volumes", "create", "bad", "--size", size], acme.env);
      assert.equal(result.code, 2, `size ${size}: ${result.stderr}`);
    }
    const tooBig = await mc(["volumes", "create", "huge", "--size", "2000g", "--json"], acme.env);
    assert.equal(tooBig.code, 2);
    assert.match(errorOf(tooBig).message, /size: must be between 16m and/);
    for (const name of ["a/b", "a.b", "..", "Upper"])
      assert.equal((await mc(["volumes", "create", name, "--size", "32m"], acme.env)).code, 2, name);
    for (const mount of ["small:/", "small:/proc", "small:/sys/x", "small:/dev", "small:data", "small:/a/../b", "nocolon"]) {
      const result = await mc(["deploy", "m", "--image", BASE_IMAGE, "--command", SLEEPER, "--volume", mount], acme.env);
      assert.equal(result.code, 2, `${mount}: ${result.stderr}`);
    }
    const twice = await mc(
      ["deploy", "m", "--image", BASE_IMAGE, "--command", SLEEPER, "--volume", "other:/a", "--volume", "other:/b", "--json"],
      acme.env,
    );
    assert.equal(twice.code, 2);
    assert.match(errorOf(twice).message, /mounted twice/);
    const samePath = await mc(
      ["deploy", "m", "--image", BASE_IMAGE, "--command", SLEEPER, "--volume", "other:/a", "--volume", "small:/a", "--json"],
      acme.env,
    );
    assert.match(errorOf(samePath).message, /two volumes at \/a/);
    const missing = await mc(["deploy", "m", "--image", BASE_IMAGE, "--command", SLEEPER, "--volume", "nope:/data", "--json"], acme.env);
    assert.equal(errorOf(missing).code, "not_found");
    const borrowed = await mc(["deploy", "m", "--image", BASE_IMAGE, "--command", SLEEPER, "--volume", "small:/data", "--json"], beta.env);
    assert.equal(errorOf(borrowed).code, "not_found", "another tenant's volume is as unknown as a missing one");
    const busy = await mc(["deploy", "m", "--image", BASE_IMAGE, "--command", SLEEPER, "--volume", "small:/data", "--json"], acme.env);
    assert.equal(errorOf(busy).code, "conflict", "a volume belongs to one app");
    const many = await mc(
      ["deploy", "m", "--image", BASE_IMAGE, "--command", SLEEPER, "--volume", "other:/data", "--count", "2", "--json"],
      acme.env,
    );
    assert.match(errorOf(many).message, /an app with a volume runs one instance/);
    const scale = await mc(["scale", "filler", "--count", "2", "--json"], acme.env);
    assert.match(errorOf(scale).message, /an app with a volume runs one instance/);
    const attached = await mc(["volumes", "delete", "small", "--yes", "--json"], acme.env);
    assert.equal(errorOf(attached).code, "conflict");
    assert.match(errorOf(attached).message, /mounted by app filler at \/data/);
    assert.equal((await mc(["status", "m"], acme.env)).code, 1, "no refused deploy left an app behind");
  });

  test("the storage quota counts volume sizes and snapshots, and says so when it refuses", async () => {
    assert.equal((await mc(["tenants", "quota", "beta", "--max-storage", "100m"], daemon.env)).code, 0);
    assert.equal((await mc(["volumes", "create", "a", "--size", "64m"], beta.env)).code, 0);
    const over = await mc(["volumes", "create", "b", "--size", "64m", "--json"], beta.env);
    assert.equal(errorOf(over).code, "quota_exceeded");
    assert.match(errorOf(over).message, /storage in tenant beta: volumes and snapshots hold 64m, this needs 64m more, the limit is 100m/);
    const extend = await mc(["volumes", "extend", "a", "--size", "128m", "--json"], beta.env);
    assert.equal(errorOf(extend).code, "quota_exceeded");
    const quota = json<{ usage: { storage: number; volumes: number; snapshots: number } }>(
      (await mc(["quota", "--json"], beta.env)).stdout,
    );
    assert.deepEqual(quota.usage, { ...quota.usage, storage: 64 * 1024 ** 2, volumes: 64 * 1024 ** 2, snapshots: 0 });
    assert.match((await mc(["quota"], beta.env)).stdout, /volumes\s+64M[\s\S]*snapshots\s+0B/, "mc quota shows both parts");
    assert.equal((await mc(["volumes", "delete", "a", "--yes"], beta.env)).code, 0);
    assert.equal(json<{ usage: { storage: number } }>((await mc(["quota", "--json"], beta.env)).stdout).usage.storage, 0);
  });

  test("extend grows a mounted volume (online where the host allows it, else around a stop of its app); shrinking is refused", async () => {
    // A mount namespace made while the volume is mounted (a container being set up, unshare) keeps a
    // copy of its mount: unmounted by the daemon, the file system stays live. It is not resized offline
    // then (e2fsck would replay its journal under it), and the app comes back on its data either way.
    const mountPoint = path.join(daemon.dir, "volumes", "acme", "small", "mnt");
    const holder = spawn("unshare", ["-m", "sleep", "600"], { stdio: "ignore" });
    try {
      const copied = await eventually(
        () => readFile(`/proc/${holder.pid}/mountinfo`, "utf8").catch(() => ""),
        (table) => table.includes(` ${mountPoint} `),
      );
      assert.ok(copied.includes(` ${mountPoint} `), "the other namespace holds a copy of the volume's mount");
      const held = await mc(["volumes", "extend", "small", "--size", "40m", "--json"], acme.env);
      if (held.code !== 0) {
        assert.equal(errorOf(held).code, "conflict", held.stdout);
        assert.match(errorOf(held).message, /still in use outside minicloud/);
      }
      assert.equal((await sh(acme.env, "filler", "cat /data/note")).stdout.trim(), "kept", "the app runs on its data");
    } finally {
      if (holder.exitCode === null && holder.signalCode === null) {
        const exited = new Promise((resolve) => holder.once("exit", resolve));
        holder.kill("SIGKILL");
        await exited;
      }
    }
    const grown = await mc(["volumes", "extend", "small", "--size", "48m", "--json"], acme.env);
    assert.equal(grown.code, 0, grown.stderr);
    const df = await sh(acme.env, "filler", "df -k /data | tail -1");
    const kilobytes = Number(df.stdout.trim().split(/\s+/)[1]);
    // ext4 keeps some of a volume for itself (its journal, inode tables): 32m holds ~27m, 48m ~40m.
    assert.ok(kilobytes > 36 * 1024, `the container sees the new size: ${df.stdout}`);
    assert.equal((await sh(acme.env, "filler", "cat /data/note")).stdout.trim(), "kept", "the data survives the resize");
    const shrink = await mc(["volumes", "extend", "small", "--size", "32m", "--json"], acme.env);
    assert.equal(errorOf(shrink).code, "invalid_input");
    assert.match(errorOf(shrink).message, /volumes only grow/);
  });

  test("snapshot while the app runs, restore in place (with a safety snapshot), fork, delete", async () => {
    await sh(acme.env, "filler", "echo one > /data/state");
    const taken = await mc(["volumes", "snapshot", "small", "--note", "one", "--json"], acme.env);
    assert.equal(taken.code, 0, taken.stderr);
    const snapshot = json<SnapshotJson>(taken.stdout);
    assert.equal(snapshot.note, "one");
    assert.ok(snapshot.pauseMs !== null && snapshot.pauseMs >= 0);
    await sh(acme.env, "filler", "echo two > /data/state; echo extra > /data/later");

    const restored = await mc(["volumes", "restore", "small", snapshot.id, "--yes", "--json"], acme.env);
    assert.equal(restored.code, 0, restored.stderr);
    const safety = json<{ safety: SnapshotJson }>(restored.stdout).safety;
    assert.equal(safety.kind, "safety");
    assert.equal((await sh(acme.env, "filler", "cat /data/state")).stdout.trim(), "one");
    assert.equal((await sh(acme.env, "filler", "test -e /data/later; echo $?")).stdout.trim(), "1");
    const status = json<{ desired: string; instances: { state: string }[] }>((await mc(["status", "filler", "--json"], acme.env)).stdout);
    assert.equal(status.desired, "running", "the app is started again after the restore");

    // The safety snapshot undoes the restore.
    assert.equal((await mc(["volumes", "restore", "small", safety.id, "--yes"], acme.env)).code, 0);
    assert.equal((await sh(acme.env, "filler", "cat /data/state")).stdout.trim(), "two");

    const wrongVolume = await mc(["volumes", "restore", "other", snapshot.id, "--yes", "--json"], acme.env);
    assert.equal(errorOf(wrongVolume).code, "not_found", "a snapshot of another volume");
    const otherTenant = await mc(["volumes", "restore", "small", snapshot.id, "--yes", "--json"], beta.env);
    assert.equal(errorOf(otherTenant).code, "not_found", "another tenant's volume and snapshot");
    assert.equal((await mc(["volumes", "restore", "small", snapshot.id], acme.env)).code, 2, "no TTY and no --yes");

    const fork = await mc(["volumes", "fork", snapshot.id, "forked", "--json"], acme.env);
    assert.equal(fork.code, 0, fork.stderr);
    assert.equal(json<VolumeJson>(fork.stdout).size, 48 * 1024 ** 2, "the size of the snapshot's volume");
    const listed = json<{ snapshots: SnapshotJson[] }>((await mc(["volumes", "snapshots", "small", "--json"], acme.env)).stdout).snapshots;
    assert.deepEqual(
      listed.map((s) => s.kind),
      ["manual", "safety", "safety"],
    );
    assert.equal((await mc(["volumes", "snapshots", "delete", "small", snapshot.id], acme.env)).code, 0);
    assert.equal(
      json<{ snapshots: unknown[] }>((await mc(["volumes", "snapshots", "small", "--json"], acme.env)).stdout).snapshots.length,
      2,
    );
  });

  test("export streams a .tar.zst that imports under a new name with the same data; bad archives leave nothing", async () => {
    await sh(acme.env, "filler", "mkdir -p /data/dir && echo nested > /data/dir/file && ln -s dir/file /data/link");
    const file = path.join(dir, "small.tar.zst");
    assert.equal(await exportTo(acme.env, "small", file), 0);
    assert.ok((await stat(file)).size > 0);
    const imported = await importFrom(acme.env, "copy", "32m", file);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal((await mc(["deploy", "reader", "--image", BASE_IMAGE, "--command", SLEEPER, "--volume", "copy:/data"], acme.env)).code, 0);
    assert.equal((await sh(acme.env, "reader", "cat /data/dir/file /data/link /data/state")).stdout, "nested\nnested\ntwo\n");

    const junk = path.join(dir, "junk.tar.zst");
    await writeFile(junk, "this is not an archive");
    const notTar = await importFrom(acme.env, "junk", "32m", junk);
    assert.equal(notTar.code, 2, notTar.stderr);
    const truncated = path.join(dir, "truncated.tar.zst");
    await writeFile(truncated, (await readFile(file)).subarray(0, 40));
    assert.notEqual((await importFrom(acme.env, "cut", "32m", truncated)).code, 0);
    // A tar bomb: a few KiB that unpack to 100 MiB of zeros, into a 16 MiB volume.
    const bomb = path.join(dir, "bomb.tar.zst");
    const header = Buffer.alloc(512);
    header.write("zeros", 0);
    header.write("0000644\0", 100);
    header.write("0000000\0", 108);
    header.write("0000000\0", 116);
    header.write(`${(100 * 1024 ** 2).toString(8).padStart(11, "0")}\0`, 124);
    header.write("00000000000\0", 136);
    header.write("0", 156);
    header.write("ustar\x0000", 257);
    header.write("        ", 148);
    const sum = header.reduce((acc, byte) => acc + byte, 0);
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    const tar = Buffer.concat([header, Buffer.alloc(100 * 1024 ** 2), Buffer.alloc(1024)]);
    await writeFile(bomb, zstdCompressSync(tar, { params: { [constants.ZSTD_c_compressionLevel]: 3 } }));
    assert.ok((await stat(bomb)).size < 1024 ** 2);
    const exploded = await importFrom(acme.env, "bomb", "16m", bomb);
    assert.equal(exploded.code, 1, exploded.stderr);
    assert.match(exploded.stderr, /does not fit|more than the volume/);
    const names = json<{ volumes: VolumeJson[] }>((await mc(["volumes", "list", "--json"], acme.env)).stdout).volumes.map((v) => v.name);
    for (const gone of ["junk", "cut", "bomb"]) assert.ok(!names.includes(gone), `${gone} left nothing`);
    const overQuota = await importFrom(beta.env, "big", "200m", file);
    assert.equal(overQuota.code, 1);
    assert.match(overQuota.stderr, /quota/);
  });

  test("a schedule takes snapshots on its cron and prunes beyond --keep; each run is an event", async () => {
    const set = await mc(["volumes", "schedule", "other", "--cron", "*/2 * * * * *", "--keep", "2", "--json"], acme.env);
    assert.equal(set.code, 0, set.stderr);
    const bad = await mc(["volumes", "schedule", "other", "--cron", "every day", "--keep", "2", "--json"], acme.env);
    assert.equal(errorOf(bad).code, "invalid_input");
    assert.match(errorOf(bad).message, /cron:/);
    const events = await eventually(
      async () => (await mc(["events", "--json", "-n", "500"], acme.env)).stdout,
      (text) => (text.match(/"type":"volume\.snapshot_created"[^\n]*"kind":"scheduled"/g)?.length ?? 0) >= 3,
      30_000,
    );
    assert.ok((events.match(/"type":"volume\.snapshot_created"[^\n]*"kind":"scheduled"/g)?.length ?? 0) >= 3);
    assert.match(events, /"type":"volume\.snapshots_pruned"/);
    const scheduled = json<{ snapshots: SnapshotJson[] }>(
      (await mc(["volumes", "snapshots", "other", "--json"], acme.env)).stdout,
    ).snapshots;
    assert.ok(scheduled.filter((s) => s.kind === "scheduled").length <= 2, "pruned to --keep");
    const audit = await mc(["audit", "--json", "-n", "200"], daemon.env);
    assert.match(audit.stdout, /"action":"scheduled snapshot"/);
    assert.equal((await mc(["volumes", "schedule", "other", "--off"], acme.env)).code, 0);
  });

  test("volumes are mounted again by a restarted daemon, and the app keeps its data", async () => {
    await daemon.restart("SIGKILL");
    assert.equal((await sh(acme.env, "filler", "cat /data/state")).stdout.trim(), "two");
    const info = await docker.getContainer((await containersOf(daemon.prefix, ["minicloud.app=filler"]))[0]?.Id ?? "").inspect();
    const mount = info.Mounts.find((m) => m.Destination === "/data");
    assert.ok(mount?.Source.startsWith(daemon.dir), "the volume comes from the daemon's data dir");
    assert.equal(mount?.RW, true);
  });
});
