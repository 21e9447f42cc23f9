/**
 * Storage rows of `npm run bench` (alone: `BENCH_ONLY=storage`): how long a snapshot takes and how
 * long it holds the app's writes, at 100 MB and 1 GB of data while the app keeps writing; and a
 * sequential write into a volume against the same write into the container's own writable layer.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { TestDaemon } from "../test/harness/daemon.ts";
import { mc } from "../test/harness/mc.ts";
import { BASE_IMAGE } from "../test/harness/paths.ts";
import { round, timeIt } from "./stats.ts";

const run = promisify(execFile);
const ITERATIONS = Number(process.env.BENCH_STORAGE_ITERATIONS ?? 5);
const WRITE_MB = 1024;

export type Record = (name: string, unit: string, goal: string, subject: number[], baseline?: { name: string; samples: number[] }) => void;

/** httpd, for health. */
const HTTPD = "mkdir -p /tmp/www && echo ok > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www";
const SERVE = ["sh", "-c", HTTPD];
/** httpd, and a writer that never stops: 1 MB at a time, each made durable (fsync). */
const BUSY_WRITER = ["sh", "-c", `(while :; do dd if=/dev/zero of=/data/churn bs=64k count=16 conv=fsync 2>/dev/null; done) & ${HTTPD}`];

/** A shell script in the app's container; fails the bench when it fails. */
async function inApp(daemon: TestDaemon, app: string, script: string): Promise<string> {
  const result = await mc(["exec", app, "--", "sh", "-c", script], daemon.env, { timeoutMs: 600_000 });
  if (result.code !== 0) throw new Error(`mc exec ${app}: ${result.stderr}`);
  return result.stdout;
}

async function mcOk(daemon: TestDaemon, args: string[]): Promise<void> {
  const result = await mc(args, daemon.env);
  if (result.code !== 0) throw new Error(`mc ${args.join(" ")}: ${result.stderr}`);
}

export async function benchStorage(daemon: TestDaemon, record: Record): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), "mc-bench-storage-"));
  try {
    await benchSnapshots(daemon, record, scratch);
    await benchSequentialWrite(daemon, record);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * `mc volumes snapshot` (the API call, end to end) against what the same work costs by hand on the
 * host — tar | zstd -3 of the data directory — and the writes it holds (`pauseMs`) against a sparse
 * copy of the volume's image, which is what the freeze waits for. Random data: zstd gains nothing.
 */
async function benchSnapshots(daemon: TestDaemon, record: Record, scratch: string): Promise<void> {
  await mcOk(daemon, ["volumes", "create", "snap", "--size", "2g"]);
  const client = daemon.client();
  const volumeDir = path.join(daemon.dir, "volumes", "default", "snap");
  try {
    await client.apps.deploy({
      name: "snapper",
      image: BASE_IMAGE,
      port: 8080,
      memory: "256m",
      command: BUSY_WRITER,
      volumes: [{ name: "snap", path: "/data" }],
    });
    for (const [label, bytes] of [
      ["100 MB", 100_000_000],
      ["1 GB", 1_000_000_000],
    ] as const) {
      await inApp(daemon, "snapper", `head -c ${bytes} /dev/urandom > /data/blob`);
      const total: number[] = [];
      const paused: number[] = [];
      const byHand: number[] = [];
      const imageCopy: number[] = [];
      for (let i = 0; i < ITERATIONS; i++) {
        let id = "";
        total.push(
          await timeIt(async () => {
            const snapshot = await client.volumes.snapshot("snap");
            id = snapshot.id;
            paused.push(snapshot.pauseMs ?? Number.NaN);
          }),
        );
        await client.volumes.deleteSnapshot("snap", id);
        const archive = path.join(scratch, "by-hand.tar.zst");
        byHand.push(await timeIt(() => run("sh", ["-c", `tar -C "${volumeDir}/mnt/data" -cf - . | zstd -3 -q -f -o "${archive}"`])));
        imageCopy.push(
          await timeIt(() => run("cp", ["--sparse=always", path.join(volumeDir, "disk.ext4"), path.join(scratch, "copy.ext4")])),
        );
        await rm(archive, { force: true });
        await rm(path.join(scratch, "copy.ext4"), { force: true });
      }
      record(`volume snapshot, ${label} of data, app writing`, "ms", "measured (pause below)", total, {
        name: "tar | zstd -3 of the data on the host",
        samples: byHand,
      });
      record(`writes held by that snapshot (pauseMs), ${label}`, "ms", "ratio ≈ 1 (the copy only)", paused, {
        name: "cp --sparse=always of the image",
        samples: imageCopy,
      });
    }
  } finally {
    await client.close();
    await mc(["apps", "destroy", "snapper", "--yes"], daemon.env);
    await mc(["volumes", "delete", "snap", "--yes"], daemon.env);
  }
}

/**
 * MB/s of `dd bs=1M conv=fsync` (the page cache cannot absorb it: dd ends with the data on disk)
 * into a volume, against the same write into the container's writable layer (--writable-rootfs).
 * That layer is the fair baseline: overlay2 on the same host disk as the volume's image, so the
 * ratio is the cost of loop + ext4 alone. The tmpfs /tmp is no baseline: it is RAM (fsync does
 * nothing there), counted against the app's memory, and gone with the container.
 */
async function benchSequentialWrite(daemon: TestDaemon, record: Record): Promise<void> {
  await mcOk(daemon, ["volumes", "create", "seq", "--size", "2g"]);
  const app = "writer";
  const client = daemon.client();
  try {
    await client.apps.deploy({
      name: app,
      image: BASE_IMAGE,
      port: 8080,
      memory: "512m",
      cpus: 1,
      command: SERVE,
      readOnlyRootfs: false,
      volumes: [{ name: "seq", path: "/data" }],
    });
  } finally {
    await client.close();
  }
  // Seconds from /proc/uptime (busybox's date has no sub-second format) around one durable write.
  const timedWrite = async (file: string): Promise<number> => {
    const out = await inApp(
      daemon,
      app,
      `read a _ < /proc/uptime; dd if=/dev/zero of=${file} bs=1M count=${WRITE_MB} conv=fsync 2>/dev/null; read b _ < /proc/uptime; rm -f ${file}; echo $a $b`,
    );
    const [start, end] = out.trim().split(" ").map(Number) as [number, number];
    return round((WRITE_MB * 1024 * 1024) / 1e6 / Math.max(end - start, 0.01));
  };
  try {
    const volume: number[] = [];
    const layer: number[] = [];
    // Taking turns at going first: neither gets a disk the other has just filled with writeback.
    for (let i = 0; i < ITERATIONS; i++) {
      if (i % 2 === 0) volume.push(await timedWrite("/data/seq.out"));
      layer.push(await timedWrite("/seq.out"));
      if (i % 2 === 1) volume.push(await timedWrite("/data/seq.out"));
    }
    record(`sequential write into a volume (dd ${WRITE_MB} MB, fsync)`, "MB/s", "ratio ≥ 0.8", volume, {
      name: "the container's writable layer",
      samples: layer,
    });
  } finally {
    await mc(["apps", "destroy", app, "--yes"], daemon.env);
    await mc(["volumes", "delete", "seq", "--yes"], daemon.env);
  }
}
