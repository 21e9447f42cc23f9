/**
 * Image rows of `npm run bench` (alone: `BENCH_ONLY=images`): a deploy of an image the engine lacks,
 * pull included, against `docker pull && docker run` of an image of the same size from the same
 * registry (a real docker-registry on loopback), in the same run.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { TestDaemon } from "../test/harness/daemon.ts";
import { mc } from "../test/harness/mc.ts";
import { SAMPLE_IMAGE } from "../test/harness/paths.ts";
import { startRegistry } from "../test/harness/registry.ts";
import { timeIt } from "./stats.ts";
import type { Record } from "./storage.ts";

const run = promisify(execFile);
const ITERATIONS = 5;
/** A fresh layer per image: what each pull really downloads (the sample's own layers are present). */
const LAYER_BYTES = 8 * 1024 * 1024;

export async function benchImages(
  daemon: TestDaemon,
  record: Record,
  waitFor200: (url: string, host?: string) => Promise<void>,
): Promise<void> {
  const registry = await startRegistry();
  const platform: number[] = [];
  const raw: number[] = [];
  try {
    for (let i = 0; i < ITERATIONS; i++) {
      const mine = registry.pushFresh("bench/pulled", `p${i}`, SAMPLE_IMAGE, LAYER_BYTES);
      const theirs = registry.pushFresh("bench/raw", `r${i}`, SAMPLE_IMAGE, LAYER_BYTES);
      platform.push(
        await timeIt(async () => {
          const result = await mc(["deploy", `pull${i}`, "--image", mine, "--port", "8080", "--json"], daemon.env);
          if (result.code !== 0) throw new Error(result.stderr);
          await waitFor200(`http://127.0.0.1:${daemon.httpPort}/`, `pull${i}.default.localhost`);
        }),
      );
      let id = "";
      raw.push(
        await timeIt(async () => {
          await run("docker", ["pull", "-q", theirs]);
          id = (
            await run("docker", ["run", "-d", "--label", `minicloud.prefix=${daemon.prefix}`, "-p", "127.0.0.1::8080", theirs])
          ).stdout.trim();
          const port = (await run("docker", ["port", id, "8080/tcp"])).stdout.trim().split(":").pop();
          await waitFor200(`http://127.0.0.1:${port}/`);
        }),
      );
      await run("docker", ["rm", "-f", id]);
      await mc(["apps", "destroy", `pull${i}`, "--yes"], daemon.env);
    }
  } finally {
    // Removes what it pushed and every image pulled from it.
    await registry.stop();
  }
  record("deploy of an image the engine lacks (pull included), until 200", "ms", "ratio ≤ 1.2", platform, {
    name: "docker pull && docker run -d -p until 200",
    samples: raw,
  });
}
