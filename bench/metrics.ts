/**
 * The metrics row of `npm run bench` (alone: `BENCH_ONLY=metrics`): the daemon's CPU while it
 * samples 200 instances every 10 s, against the same window of the same daemon with the same
 * instances and sampling effectively off (an interval of a day) as the baseline. Its own daemon:
 * the interval is a start-up setting.
 */
import { readFile } from "node:fs/promises";
import { TestDaemon } from "../test/harness/daemon.ts";
import { mc } from "../test/harness/mc.ts";
import { BASE_IMAGE } from "../test/harness/paths.ts";
import { createTenant } from "../test/harness/tenant.ts";
import type { Record } from "./storage.ts";

const INSTANCES = 200;
const SLICE_SECONDS = 10;
const SLICES = 6;
const IDLE = ["sh", "-c", "exec sleep 86400"];
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS = 100;

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (in parentheses, which may hold spaces): utime is the 14th field, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** The daemon's CPU use in each of SLICES windows, as a percent of one core. */
async function cpuPercents(daemon: TestDaemon): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < SLICES; i++) {
    const before = await cpuSeconds(daemon.pid);
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, SLICE_SECONDS * 1000));
    const seconds = (performance.now() - started) / 1000;
    out.push((((await cpuSeconds(daemon.pid)) - before) / seconds) * 100);
  }
  return out;
}

export async function benchMetrics(record: Record): Promise<void> {
  const daemon = await TestDaemon.create();
  const settings = { MC_RATE_LIMIT: "100000000", MC_HEALTH_INTERVAL: "5" };
  try {
    await daemon.start({ ...settings, MC_METRICS_INTERVAL: "10" });
    // A tenant big enough for them; tiny idle instances (no port: no health probes).
    const tenant = await createTenant(daemon, "bench", [
      "--max-instances",
      String(INSTANCES),
      "--max-apps",
      String(INSTANCES),
      "--max-cpus",
      "64",
      "--max-memory",
      "64g",
    ]);
    await mc(["images", "publish", BASE_IMAGE], daemon.env);
    for (let i = 0; i < INSTANCES; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, INSTANCES - i) }, async (_, j) => {
          const client = tenant.client();
          try {
            await client.apps.deploy({ name: `m${i + j}`, image: BASE_IMAGE, command: IDLE, memory: "8m", cpus: 0.01 });
          } finally {
            await client.close();
          }
        }),
      );
    }
    // Let the deploys' after-effects (reconcile, inspect refreshes) settle into both windows alike.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const sampling = await cpuPercents(daemon);
    await daemon.restart("SIGTERM", { ...settings, MC_METRICS_INTERVAL: "86400" });
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    const baseline = await cpuPercents(daemon);
    record(`mcd CPU, sampling ${INSTANCES} instances every 10 s`, "% of a core", "≤ baseline + 2", sampling, {
      name: "sampling off",
      samples: baseline,
    });
  } finally {
    await daemon.destroy();
  }
}
