import { access } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import type { MinicloudClient } from "@minicloud/shared/client";
import { ApiError } from "@minicloud/shared/errors";
import { packContext } from "./build-context.ts";
import { chalk } from "./output.ts";

export interface BuildFlags {
  /** The Dockerfile's path inside the context. */
  dockerfile?: string | undefined;
  noCache?: boolean | undefined;
  buildArgs?: Record<string, string> | undefined;
}

export async function hasDockerfile(dir: string, dockerfile = "Dockerfile"): Promise<boolean> {
  return access(path.join(dir, dockerfile)).then(
    () => true,
    () => false,
  );
}

/**
 * Sends the directory to the daemon, which builds it through the engine; the build's output is
 * shown on stderr as it happens (stdout stays for the result). Resolves to the image's tag.
 */
export async function buildImage(client: MinicloudClient, app: string, dir: string, flags: BuildFlags = {}): Promise<string> {
  const output = await client.apps.build(app, await packContext(dir), flags);
  let image: string | undefined;
  for await (const text of createInterface({ input: output, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (!text) continue;
    const line = JSON.parse(text) as { stream?: string; image?: string; error?: string };
    if (line.stream !== undefined) process.stderr.write(`${chalk.dim(line.stream)}\n`);
    if (line.image) image = line.image;
    if (line.error) throw new ApiError("build_failed", `the Dockerfile did not build: ${line.error}`);
  }
  if (!image) throw new ApiError("internal", "the build ended without an image — see the daemon log");
  return image;
}
