import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ApiError } from "@minicloud/shared";

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
    await pipeline(context, byteLimit(maxBytes), createWriteStream(file, { mode: 0o600 }));
    const dockerfile = await readEntry(file, dockerfilePath);
    return { dockerfile, open: () => createReadStream(file), remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

async function readEntry(file: string, wanted: string): Promise<string | undefined> {
  const { extract } = await import("tar-stream");
  const target = path.posix.normalize(wanted).replace(/^\.\//, "");
  const tar = extract();
  let text: string | undefined;
  tar.on("entry", (header, entry, next) => {
    const name = path.posix.normalize(header.name).replace(/^\.\//, "");
    if (name !== target || header.type !== "file" || (header.size ?? 0) > MAX_DOCKERFILE_BYTES) {
      entry.resume();
      entry.on("end", next);
      return;
    }
    const chunks: Buffer[] = [];
    entry.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
    entry.on("end", () => {
      text = Buffer.concat(chunks).toString("utf8");
      next();
    });
  });
  try {
    await pipeline(createReadStream(file), tar);
  } catch {
    throw new ApiError("invalid_input", "the build context is not a tar archive");
  }
  return text;
}

export function byteLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > max)
        callback(new ApiError("payload_too_large", `the build context is larger than ${max / 1024 / 1024} MiB — add a .dockerignore`));
      else callback(null, chunk);
    },
  });
}
