import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, describe, test } from "node:test";
import { whoAmICommand } from "./harness/apps.ts";
import { TestDaemon } from "./harness/daemon.ts";
import { eventually } from "./harness/http.ts";
import { json, type McResult, mc } from "./harness/mc.ts";
import { BASE_IMAGE } from "./harness/paths.ts";
import { deployVia } from "./harness/tenant.ts";

const APP = "keeper";
const VOLUME = "data";
/** Random bytes do not compress: a snapshot of them takes long enough to be killed in. */
const BLOB_BYTES = 200_000_000;

/** Fires a request at the daemon and ignores its fate: the daemon is about to be killed under it. */
function inFlight(daemon: TestDaemon, action: (client: ReturnType<TestDaemon["client"]>) => Promise<unknown>): void {
  const client = daemon.client();
  void action(client)
    .catch(() => undefined)
    .finally(() => client.close().catch(() => undefined));
}

/** A client call that closes its client. */
async function withClient<T>(daemon: TestDaemon, action: (client: ReturnType<TestDaemon["client"]>) => Promise<T>): Promise<T> {
  const client = daemon.client();
  try {
    return await action(client);
  } finally {
    await client.close();
  }
}

/** A shell command inside the app's container, through `mc exec`. A frozen volume would hang it: the timeout says so. */
function inApp(daemon: TestDaemon, script: string): Promise<McResult> {
  return mc(["exec", APP, "--", "sh", "-c", script], daemon.env, { timeoutMs: 30_000 });
}

async function assertInApp(daemon: TestDaemon, script: string, what: string): Promise<string> {
  const result = await inApp(daemon, script);
  assert.equal(result.code, 0, `${what}: exit ${result.code} (-1: it hung, a frozen file system?) ${result.stdout}${result.stderr}`);
  return result.stdout;
}

const volumeDir = (daemon: TestDaemon, name: string) => path.join(daemon.dir, "volumes", "default", name);

async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile("/proc/self/mounts", "utf8");
  return table
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((point) => point.startsWith(`${dir}/`));
}

/** Polls (fast: the windows are short) until `probe` is true; fails the test when it never is. */
async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

/**
 * What must hold after any crash: every listed snapshot's file is there at its listed size and
 * nothing unlisted lingers; no scratch copy or its mount is left; each volume directory belongs to
 * a listed volume and only its own file system is mounted; the storage quota is the sum of the
 * volumes' sizes and their snapshots' bytes.
 */
async function assertStorageConsistent(daemon: TestDaemon): Promise<void> {
  const volumes = await withClient(daemon, (c) => c.volumes.list());
  const root = path.join(daemon.dir, "volumes", "default");
  assert.deepEqual((await readdir(root)).sort(), volumes.map((v) => v.name).sort(), "a directory for each volume, no other");
  for (const volume of volumes) {
    assert.equal(volume.state, "ready", `${volume.name} is ready`);
    const dir = volumeDir(daemon, volume.name);
    const snapshots = await withClient(daemon, (c) => c.volumes.snapshots(volume.name));
    const files = await readdir(path.join(dir, "snapshots")).catch(() => [] as string[]);
    assert.deepEqual(files.sort(), snapshots.map((s) => `${s.id}.tar.zst`).sort(), `${volume.name}: exactly the listed snapshots on disk`);
    for (const snapshot of snapshots) {
      assert.equal((await stat(path.join(dir, "snapshots", `${snapshot.id}.tar.zst`))).size, snapshot.bytes, `${snapshot.id} is whole`);
    }
    assert.deepEqual(
      (await readdir(dir)).filter((e) => e.startsWith("copy-")),
      [],
      `${volume.name}: no scratch copy left`,
    );
    assert.deepEqual(await mountsUnder(dir), [path.join(dir, "mnt")], `${volume.name}: only its own file system is mounted`);
  }
  const quota = json<{ usage: { storage: number } }>((await mc(["quota", "--json"], daemon.env)).stdout);
  assert.equal(
    quota.usage.storage,
    volumes.reduce((sum, v) => sum + v.size + v.snapshotBytes, 0),
    "storage usage is the volumes' sizes plus their snapshots' bytes",
  );
}

/** A volume left frozen would make every later write (and unmount) hang: thaw before cleaning up. */
async function thawAll(dir: string): Promise<void> {
  for (const point of await mountsUnder(dir)) {
    await new Promise<void>((resolve) => execFile("fsfreeze", ["--unfreeze", point], () => resolve()));
  }
}

describe("volumes crash safety: kill -9 of the daemon mid-snapshot, mid-restore, mid-import", () => {
  let daemon: TestDaemon;
  let scratch: string;

  before(async () => {
    daemon = await TestDaemon.create();
    scratch = await mkdtemp(path.join(os.tmpdir(), "mc-volcrash-"));
    await daemon.start();
    const created = await mc(["volumes", "create", VOLUME, "--size", "640m", "--json"], daemon.env);
    assert.equal(created.code, 0, created.stderr);
    await deployVia(daemon.client(), {
      name: APP,
      image: BASE_IMAGE,
      port: 8080,
      command: whoAmICommand("keeper"),
      volumes: [{ name: VOLUME, path: "/data" }],
    });
    await assertInApp(daemon, `head -c ${BLOB_BYTES} /dev/urandom > /data/blob && sha256sum /data/blob > /data/blob.sum`, "write the blob");
  });
  after(async () => {
    await thawAll(daemon.dir);
    await daemon.destroy();
    await rm(scratch, { recursive: true, force: true });
  });

  test("killed while the file system is frozen for a snapshot: thawed, data intact, no half snapshot", async (t) => {
    const dir = volumeDir(daemon, VOLUME);
    inFlight(daemon, (client) => client.volumes.snapshot(VOLUME, "killed while frozen"));
    // The frozen image's copy is being written: writes to the volume are held right now.
    await waitUntil("the frozen copy to start", async () => {
      const copy = (await readdir(dir)).find((e) => e.startsWith("copy-"));
      return copy !== undefined && (await exists(path.join(dir, copy, "disk.ext4")));
    });
    await daemon.stop("SIGKILL");
    // Frozen by the killed daemon (EBUSY), or, had the copy already ended, frozen now: either way
    // the next daemon finds the file system frozen by a snapshot that will never finish.
    const mount = path.join(dir, "mnt");
    const refrozen = await new Promise<boolean>((resolve) => execFile("fsfreeze", ["--freeze", mount], (error) => resolve(!error)));
    t.diagnostic(refrozen ? "the copy had ended before the kill: frozen again by the test" : "killed while frozen");
    await daemon.start();
    await assertInApp(daemon, "echo after > /data/after-freeze && cat /data/after-freeze", "a write after the restart");
    await assertInApp(daemon, "cd /data && sha256sum -c blob.sum", "the blob is intact");
    await assertStorageConsistent(daemon);
    assert.deepEqual(await withClient(daemon, (c) => c.volumes.snapshots(VOLUME)), [], "the cut-short snapshot is not listed");
  });

  test("killed while a snapshot's archive is written: no half snapshot listed or left, a new one works", async () => {
    const snapshots = path.join(volumeDir(daemon, VOLUME), "snapshots");
    inFlight(daemon, (client) => client.volumes.snapshot(VOLUME, "killed while packing"));
    await waitUntil("the archive to be written", async () => {
      const partial = (await readdir(snapshots).catch(() => [] as string[])).find((f) => f.endsWith(".partial"));
      return partial !== undefined && (await stat(path.join(snapshots, partial)).catch(() => ({ size: 0 }))).size > 10_000_000;
    });
    await daemon.restart("SIGKILL");
    await assertInApp(daemon, "echo after > /data/after-pack", "a write after the restart");
    await assertStorageConsistent(daemon);
    assert.deepEqual(await withClient(daemon, (c) => c.volumes.snapshots(VOLUME)), []);
    const taken = await withClient(daemon, (c) => c.volumes.snapshot(VOLUME, "after the crashes"));
    assert.ok(taken.bytes > BLOB_BYTES / 2, `the snapshot holds the blob: ${taken.bytes} bytes`);
    await assertStorageConsistent(daemon);
  });

  /**
   * Changes the data after the manual snapshot, asks for a restore to it, kills the daemon once
   * `cutShort` says the restore is at the point under test, starts it again: the restore is
   * finished (the data is the snapshot's, the later change gone), the app runs, a safety snapshot
   * more is listed, and the volume takes writes.
   */
  async function restoreKilled(marker: string, cutShort: () => Promise<boolean>, what: string): Promise<void> {
    const before = await withClient(daemon, (c) => c.volumes.snapshots(VOLUME));
    const target = before.find((s) => s.kind === "manual");
    assert.ok(target, "the manual snapshot of an earlier test");
    await assertInApp(daemon, `echo later > /data/${marker} && rm /data/blob`, "change the data after the snapshot");
    inFlight(daemon, (client) => client.volumes.restore(VOLUME, target.id));
    await waitUntil(what, cutShort);
    await daemon.restart("SIGKILL");
    assert.equal((await withClient(daemon, (c) => c.volumes.get(VOLUME))).state, "ready");
    const app = await eventually(
      () => mc(["status", APP, "--json"], daemon.env).then((r) => json<{ desired: string; instances: { state: string }[] }>(r.stdout)),
      (a) => a.desired === "running" && a.instances.length === 1 && a.instances.every((i) => i.state === "running"),
      30_000,
    );
    assert.equal(app.desired, "running", `the app the restore stopped runs again: ${JSON.stringify(app)}`);
    await assertInApp(
      daemon,
      `cd /data && sha256sum -c blob.sum && test ! -e ${marker} && test -e after-freeze`,
      "the data is the snapshot's",
    );
    const after = await withClient(daemon, (c) => c.volumes.snapshots(VOLUME));
    assert.equal(
      after.filter((s) => s.kind === "safety").length,
      before.filter((s) => s.kind === "safety").length + 1,
      "the safety snapshot taken before the restore is kept",
    );
    await assertInApp(daemon, "echo writable > /data/after-restore", "a write after the restore");
    await assertStorageConsistent(daemon);
  }

  test("killed after a restore stopped the app, before the data is touched: finished at start, the app runs again", async () => {
    // The safety snapshot is done and the restore recorded; the app's container is given seconds to stop.
    await restoreKilled(
      "later-stop",
      async () => (await withClient(daemon, (c) => c.apps.get(APP))).desired === "stopped",
      "the app to be stopped for the restore",
    );
  });

  test("killed while a restore replaces the data: finished at start, the data is the snapshot's, the app runs again", async () => {
    const blob = path.join(volumeDir(daemon, VOLUME), "mnt", "data", "blob");
    // The test removed the blob: it growing again is the snapshot being unpacked.
    await restoreKilled(
      "later-unpack",
      async () => {
        const size = (await stat(blob).catch(() => ({ size: 0 }))).size;
        return size > 1_000_000 && size < BLOB_BYTES;
      },
      "the blob to be half unpacked",
    );
  });

  test("killed while an export streams: its consistent copy is unmounted and removed at start, the volume takes writes", async () => {
    const dir = volumeDir(daemon, VOLUME);
    const client = daemon.client();
    const stream = await client.volumes.export(VOLUME);
    try {
      // A first chunk, then the client stops reading: the copy stays mounted while the export is open.
      await new Promise<void>((resolve, reject) => {
        stream.once("data", () => resolve());
        stream.once("error", reject);
      });
      stream.pause();
      assert.equal((await mountsUnder(dir)).length, 2, "the volume and the export's copy of it are mounted");
      await daemon.restart("SIGKILL");
    } finally {
      stream.destroy();
      await client.close().catch(() => undefined);
    }
    await assertInApp(daemon, "echo after > /data/after-export && cd /data && sha256sum -c blob.sum", "a write after the restart");
    await assertStorageConsistent(daemon);
  });

  test("killed during an import: no volume, no reservation, no files or mounts; the name is free", async () => {
    const archive = path.join(scratch, "data.tar.zst");
    await withClient(daemon, async (c) => pipeline(await c.volumes.export(VOLUME), createWriteStream(archive)));
    const size = (await stat(archive)).size;
    assert.ok(size > BLOB_BYTES / 2, `the export holds the blob: ${size} bytes`);
    let sent = 0;
    let stall: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => {
      stall = resolve;
    });
    // Half the archive, then nothing: the daemon is killed while it waits for the rest.
    async function* halfThenWait() {
      for await (const chunk of createReadStream(archive, { highWaterMark: 1024 * 1024 })) {
        if (sent > size / 2) break;
        sent += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      await stalled;
    }
    inFlight(daemon, (client) => client.volumes.import("imported", "640m", Readable.from(halfThenWait())));
    try {
      await waitUntil("half the archive to be sent", async () => sent > size / 2);
      const importing = await withClient(daemon, (c) => c.volumes.get("imported"));
      assert.equal(importing.state, "importing");
      const reserved = json<{ usage: { storage: number } }>((await mc(["quota", "--json"], daemon.env)).stdout).usage.storage;
      assert.ok(reserved >= 640 * 1024 ** 2, "the import's size is reserved while it runs");
      await daemon.restart("SIGKILL");
    } finally {
      stall();
    }
    const names = (await withClient(daemon, (c) => c.volumes.list())).map((v) => v.name);
    assert.deepEqual(names, [VOLUME], "the half-imported volume is gone");
    assert.equal(await exists(volumeDir(daemon, "imported")), false, "its files are gone");
    assert.deepEqual(await mountsUnder(volumeDir(daemon, "imported")), [], "its file system is unmounted");
    await assertStorageConsistent(daemon);
    const again = await mc(["volumes", "create", "imported", "--size", "16m", "--json"], daemon.env);
    assert.equal(again.code, 0, `the name is free again: ${again.stderr}`);
    assert.equal((await mc(["volumes", "delete", "imported", "--yes", "--json"], daemon.env)).code, 0);
    await assertInApp(daemon, "cd /data && sha256sum -c blob.sum", "the imported-from volume is untouched");
  });
});
