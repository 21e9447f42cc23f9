/**
 * The logs rows of `npm run bench` (alone: `BENCH_ONLY=logs`), on a daemon of their own (the log
 * caps are start-up settings):
 * - `mc logs --grep` over BENCH_LOG_BYTES (default 1 GiB) of stored logs, against `grep -E` over
 *   the same segment files in the same run; the goal is at least 200 MB/s;
 * - ingest from a container printing BENCH_FLOOD_BYTES (default 200 MiB) as fast as it can: lines
 *   per second the daemon kept against lines per second the container produced (the difference is
 *   what MC_LOG_RATE dropped, and counted, and what the engine rotated away before it was read).
 */
import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { TestDaemon } from "../test/harness/daemon.ts";
import { mc } from "../test/harness/mc.ts";
import { BASE_IMAGE } from "../test/harness/paths.ts";
import { deployVia } from "../test/harness/tenant.ts";
import type { Record } from "./storage.ts";

const run = promisify(execFile);
const LOG_BYTES = Number(process.env.BENCH_LOG_BYTES ?? 1024 ** 3);
const FLOOD_BYTES = Number(process.env.BENCH_FLOOD_BYTES ?? 200 * 1024 ** 2);
const ITERATIONS = 3;
const SEGMENT_BYTES = 8 * 1024 ** 2;
const PATTERN = "needle-[0-9]+ found";
const SLEEP = ["sh", "-c", "exec sleep 86400"];

/** Stored-log segments of `bytes` of access-log-like lines, with a needle every 100,000 lines. */
async function writeSegments(dir: string, instance: string, bytes: number): Promise<number> {
  await mkdir(dir, { recursive: true });
  let written = 0;
  let line = 0;
  let ms = Date.now() - 86_400_000;
  for (let seq = 0; written < bytes; seq++) {
    const firstMs = ms;
    const parts: string[] = [];
    let size = 0;
    while (size < SEGMENT_BYTES && written + size < bytes) {
      line++;
      ms += 1;
      const text =
        line % 100_000 === 0
          ? `needle-${line} found in request ${line}`
          : `GET /api/items/${line % 9973} 200 ${line % 97}ms user=u${line % 1013} agent="curl/8.5" bytes=${line % 65536}`;
      const entry = `${new Date(ms).toISOString().replace("Z", "123456Z")}\t${instance}\to\t1\t${text}\n`;
      parts.push(entry);
      size += entry.length;
    }
    await writeFile(path.join(dir, `${String(firstMs).padStart(15, "0")}.${String(seq).padStart(6, "0")}.log`), parts.join(""));
    written += size;
  }
  return written;
}

async function benchGrep(daemon: TestDaemon, record: Record): Promise<void> {
  await deployVia(daemon.client(), { name: "bulk", image: BASE_IMAGE, command: SLEEP });
  const instance = (await daemon.client().apps.get("bulk")).instances[0]?.id ?? "00000000";
  await daemon.stop();
  const dir = path.join(daemon.dir, "app-logs", "default", "bulk");
  const bytes = await writeSegments(dir, instance, LOG_BYTES);
  await daemon.start({ MC_LOG_BYTES_PER_TENANT: String(LOG_BYTES * 2) });
  const files = (await readdir(dir)).filter((f) => f.endsWith(".log")).map((f) => path.join(dir, f));
  const mbps = (ms: number) => bytes / 1e6 / (ms / 1000);
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const start = performance.now();
    const result = await mc(["logs", "bulk", "--grep", PATTERN, "--json"], daemon.env, { timeoutMs: 600_000 });
    if (result.code !== 0) throw new Error(`mc logs --grep failed: ${result.stderr}`);
    ours.push(mbps(performance.now() - start));
    const grepStart = performance.now();
    await run("grep", ["-E", "-c", PATTERN, ...files], { maxBuffer: 64 * 1024 ** 2 });
    theirs.push(mbps(performance.now() - grepStart));
  }
  record(`mc logs --grep over ${Math.round(bytes / 1024 ** 2)} MiB stored`, "MB/s", "≥ 200 MB/s", ours, {
    name: "grep -E",
    samples: theirs,
  });
}

async function benchIngest(daemon: TestDaemon, record: Record): Promise<void> {
  const lineText = "y".repeat(99);
  const started = performance.now();
  await deployVia(daemon.client(), {
    name: "flood",
    image: BASE_IMAGE,
    command: ["sh", "-c", `yes ${lineText} | head -c ${FLOOD_BYTES}; echo flood-done; exec sleep 86400`],
  });
  for (;;) {
    const result = await mc(["logs", "flood", "--grep", "^flood-done$", "--json"], daemon.env, { timeoutMs: 600_000 });
    if (result.stdout.includes("flood-done")) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const seconds = (performance.now() - started) / 1000;
  const produced = Math.floor(FLOOD_BYTES / (lineText.length + 1));
  const dir = path.join(daemon.dir, "app-logs", "default", "flood");
  let kept = 0;
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".log"))) {
    const text = await readFile(path.join(dir, file), "utf8");
    for (const line of text.split("\n")) if (line.endsWith(lineText)) kept++;
  }
  const onDisk = (await Promise.all((await readdir(dir)).map((f) => stat(path.join(dir, f))))).reduce((sum, s) => sum + s.size, 0);
  record(
    `log ingest from a flooding container (${Math.round(FLOOD_BYTES / 1024 ** 2)} MiB, ${Math.round(onDisk / 1024 ** 2)} MiB kept)`,
    "lines/s",
    "kept ≤ produced, within MC_LOG_RATE",
    [Math.round(kept / seconds)],
    { name: "produced", samples: [Math.round(produced / seconds)] },
  );
}

export async function benchLogs(record: Record): Promise<void> {
  const daemon = await TestDaemon.create();
  try {
    await daemon.start({ MC_LOG_BYTES_PER_TENANT: String(LOG_BYTES * 2) });
    await benchGrep(daemon, record);
    await benchIngest(daemon, record);
  } finally {
    await daemon.destroy();
  }
}
