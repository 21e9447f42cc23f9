import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ApiError } from "@minicloud/shared";
import { byteLimit } from "../common/byte-limit.ts";
import { readTarFile } from "../common/tar-file.ts";

/** The Dockerfile is read for its FROM lines; one larger than this is not a Dockerfile. */
const MAX_DOCKERFILE_BYTES = 1024 * 1024;

/** A build context kept on disk while it is checked and built, then removed. */
export interface SpooledContext {
  /** The Dockerfile's text, or undefined when the context has none at that path. */
  dockerfile: string | undefined;
  open(): Readable;
  remove(): Promise<void>;
}

/**
 * Writes the uploaded context to a private temporary file (refusing more than `maxBytes`), then
 * reads the Dockerfile out of it: the daemon must see what a build will read before the engine does.
 */
export async function spoolContext(context: Readable, dockerfilePath: string, maxBytes: number): Promise<SpooledContext> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mcd-build-"));
  const file = path.join(dir, "context.tar");
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const tooLarge = () =>
      new ApiError("payload_too_large", `the build context is larger than ${maxBytes / 1024 / 1024} MiB — add a .dockerignore`);
    await pipeline(context, byteLimit(maxBytes, tooLarge), createWriteStream(file, { mode: 0o600 }));
    const dockerfile = await readEntry(file, dockerfilePath);
    return { dockerfile, open: () => createReadStream(file), remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

async function readEntry(file: string, wanted: string): Promise<string | undefined> {
  const target = path.posix.normalize(wanted).replace(/^\.\//, "");
  try {
    return await readTarFile(createReadStream(file), (name) => path.posix.normalize(name) === target, MAX_DOCKERFILE_BYTES);
  } catch {
    throw new ApiError("invalid_input", "the build context is not a tar archive");
  }
}
