/**
 * CLI rows of `npm run bench` (alone: `BENCH_ONLY=cli`): `mc version`, `mc status` and `mc status APP`
 * started the way users start them — the program bin/run.js through its `#!` line, the file
 * /usr/local/bin/mc links to, so its launcher picks the fast path (docs/architecture.md) — next to
 * `docker version`, and the plain build (MC_STARTUP=plain) next to `node -e 0`. Every command runs once
 * per round, in turn, so the machine's load drifts over all of them alike.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { TestDaemon } from "../test/harness/daemon.ts";
import { MC_BIN, SAMPLE_IMAGE } from "../test/harness/paths.ts";
import { timeIt } from "./stats.ts";
import type { Record } from "./storage.ts";

const run = promisify(execFile);
const ROUNDS = 2 * Number(process.env.BENCH_ITERATIONS ?? 7);
const APP = "cli";

export async function benchCli(daemon: TestDaemon, record: Record): Promise<void> {
  const client = daemon.client();
  try {
    await client.apps.deploy({ name: APP, image: SAMPLE_IMAGE, port: 8080, memory: "16m", cpus: 0.05 });
    const plain = { ...daemon.env, MC_STARTUP: "plain" };
    const commands = {
      docker: ["docker", ["version"], {}],
      node: [process.execPath, ["-e", "0"], {}],
      version: [MC_BIN, ["version"], daemon.env],
      status: [MC_BIN, ["status"], daemon.env],
      statusApp: [MC_BIN, ["status", APP], daemon.env],
      versionPlain: [MC_BIN, ["version"], plain],
      statusPlain: [MC_BIN, ["status"], plain],
      statusAppPlain: [MC_BIN, ["status", APP], plain],
    } as const satisfies { [name: string]: readonly [string, readonly string[], NodeJS.ProcessEnv] };
    type Name = keyof typeof commands;
    const samples = Object.fromEntries(Object.keys(commands).map((name) => [name, [] as number[]])) as { [name in Name]: number[] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, [command, args, env]] of Object.entries(commands) as [Name, (typeof commands)[Name]][]) {
        samples[name].push(await timeIt(() => run(command, args, { env: { ...process.env, ...env } })));
      }
    }
    const docker = { name: "docker version", samples: samples.docker };
    const node = { name: "node -e 0", samples: samples.node };
    record("mc version", "ms", "≤ 60 ms", samples.version, docker);
    record("mc status", "ms", "≤ 100 ms", samples.status, docker);
    record(`mc status ${APP} (one app)`, "ms", "≤ 100 ms", samples.statusApp, docker);
    record("mc version, plain build (MC_STARTUP=plain)", "ms", "reference", samples.versionPlain, node);
    record("mc status, plain build", "ms", "reference", samples.statusPlain, node);
    record(`mc status ${APP}, plain build`, "ms", "reference", samples.statusAppPlain, node);
  } finally {
    await client.apps.destroy(APP).catch(() => undefined);
    await client.close();
  }
}
