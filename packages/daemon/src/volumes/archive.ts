import { createReadStream, createWriteStream } from "node:fs";
import { readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createZstdCompress, createZstdDecompress } from "node:zlib";
import { ApiError } from "@minicloud/shared";
import { byteLimit } from "../common/byte-limit.ts";

/**
 * Snapshots, exports and imports share one format: a tar of the volume's data directory,
 * compressed with zstd (`.tar.zst`; `tar --zstd -x` opens it). Unused blocks cost nothing, and a
 * snapshot can be streamed to a client as it is.
 */
export const ARCHIVE_CONTENT_TYPE = "application/zstd";

/** The data directory as a .tar.zst stream. */
export async function packDirectory(dir: string): Promise<Readable> {
  const { pack } = await import("tar-fs");
  const tar = pack(dir) as unknown as Readable;
  // 1 MiB output chunks (16 KiB by default): measured ~30 % faster on 500 MB, fewer trips to the thread pool.
  const zstd = createZstdCompress({ chunkSize: 1024 * 1024, params: { [constants.ZSTD_c_compressionLevel]: 3 } });
  tar.on("error", (error) => zstd.destroy(error));
  return tar.pipe(zstd);
}

/** Writes the directory's archive to `file` through a temporary name: a crash leaves no half file under it. */
export async function writeArchive(dir: string, file: string): Promise<number> {
  const partial = `${file}.partial`;
  await pipeline(await packDirectory(dir), createWriteStream(partial, { mode: 0o600 }));
  await rename(partial, file);
  return (await stat(file)).size;
}

export function readArchive(file: string): Readable {
  return createReadStream(file);
}

/**
 * Unpacks a .tar.zst into `dir` as `owner`, refusing what a volume must not hold: device files,
 * paths that leave `dir`, and more bytes than `limitBytes` once decompressed (a tar bomb stops
 * there, whatever it declares). Anything that is not zstd or not tar fails with invalid_input.
 */
export async function extractArchive(
  source: Readable,
  dir: string,
  limitBytes: number,
  owner: { uid: number; gid: number },
): Promise<void> {
  const { extract } = await import("tar-fs");
  const tooLarge = () => new ApiError("payload_too_large", `the archive unpacks to more than the volume's ${limitBytes} bytes`);
  // tar-fs 3 takes `umask`; its published types (2.x) do not list it.
  const target = extract(dir, {
    // Only plain files, directories and symbolic links; everything belongs to the volume's user.
    ignore: (_name, header) => !header || !["file", "directory", "symlink"].includes(header.type ?? "file"),
    map: (header) => ({ ...header, uid: owner.uid, gid: owner.gid }),
    // The archive's own modes, not the daemon's private umask (set-uid bits are dropped by tar-fs).
    ...({ umask: 0 } as object),
  });
  try {
    await pipeline(source, createZstdDecompress(), byteLimit(limitBytes, tooLarge), wholeTar(), target);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const message = (error as Error).message;
    if ((error as NodeJS.ErrnoException).code === "ENOSPC") {
      throw new ApiError("payload_too_large", "the archive does not fit in the volume: give it a larger --size");
    }
    throw new ApiError("invalid_input", `not a volume archive (.tar.zst): ${message}`);
  }
}

/** Empties a directory without removing it (a mount point or a bind-mounted path must stay). */
export async function emptyDirectory(dir: string): Promise<void> {
  for (const entry of await readdir(dir)) await rm(path.join(dir, entry), { recursive: true, force: true });
}

/** Fails at the end unless what passed was a whole tar: a multiple of 512 bytes ending in two zero blocks. */
function wholeTar(): Transform {
  let seen = 0;
  let tail = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      tail = Buffer.concat([tail, chunk]).subarray(-1024);
      callback(null, chunk);
    },
    flush(callback) {
      const whole = seen >= 1024 && seen % 512 === 0 && tail.every((byte) => byte === 0);
      callback(whole ? null : new ApiError("invalid_input", "not a whole volume archive (.tar.zst): it is cut short or not a tar"));
    },
  });
}
