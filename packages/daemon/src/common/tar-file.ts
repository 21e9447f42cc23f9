import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * The text of the first regular file in a tar stream whose name `wanted` accepts (names are
 * normalised: no leading "./"), or undefined when there is none; files over `maxBytes` are skipped.
 * The rest of the stream is read through, so the source ends cleanly.
 */
export async function readTarFile(
  source: Readable,
  wanted: (name: string) => boolean = () => true,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<string | undefined> {
  const { extract } = await import("tar-stream");
  const tar = extract();
  let text: string | undefined;
  tar.on("entry", (header, entry, next) => {
    const name = header.name.replace(/^\.\//, "");
    if (text !== undefined || header.type !== "file" || (header.size ?? 0) > maxBytes || !wanted(name)) {
      entry.on("end", next);
      entry.resume();
      return;
    }
    const chunks: Buffer[] = [];
    entry.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
    entry.on("end", () => {
      text = Buffer.concat(chunks).toString("utf8");
      next();
    });
  });
  await pipeline(source, tar);
  return text;
}
