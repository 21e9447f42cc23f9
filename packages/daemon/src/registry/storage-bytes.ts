import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

interface Manifest {
  config?: { size?: number; digest?: string };
  layers?: { size?: number; digest?: string }[];
  /** An index (multi-platform): its per-platform manifests. */
  manifests?: { digest?: string }[];
}

/**
 * Bytes the tenant's tagged images hold in the registry's storage: each tagged manifest's config
 * and layers, every blob counted once per tenant (images sharing a base pay for it once). Read from
 * the storage directory: a few small files per tag, no registry call.
 */
export async function namespaceBytes(storageDir: string, tenant: string): Promise<number> {
  const root = path.join(storageDir, "docker", "registry", "v2");
  const blobs = new Map<string, number>();
  for (const repository of await repositoriesUnder(path.join(root, "repositories", tenant))) {
    const tagsDir = path.join(repository, "_manifests", "tags");
    for (const tag of await readdir(tagsDir).catch(() => [])) {
      const digest = (await readFile(path.join(tagsDir, tag, "current", "link"), "utf8").catch(() => "")).trim();
      const manifest = await readBlob(root, digest);
      if (!manifest) continue;
      // An index's platforms are manifests of their own (one level: an index of indexes is not an image).
      const platforms = await Promise.all((manifest.manifests ?? []).map((m) => readBlob(root, m.digest ?? "")));
      for (const image of [manifest, ...platforms]) {
        for (const part of [image?.config, ...(image?.layers ?? [])]) {
          if (part?.digest && typeof part.size === "number") blobs.set(part.digest, part.size);
        }
      }
    }
  }
  let total = 0;
  for (const size of blobs.values()) total += size;
  return total;
}

/** Directories below `dir` that are repositories (they hold `_manifests`); names may nest. */
async function repositoriesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  if (entries.some((e) => e.name === "_manifests")) return [dir];
  const nested = await Promise.all(
    entries.filter((e) => e.isDirectory() && !e.name.startsWith("_")).map((e) => repositoriesUnder(path.join(dir, e.name))),
  );
  return nested.flat();
}

async function readBlob(root: string, digest: string): Promise<Manifest | undefined> {
  const match = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!match?.[1]) return undefined;
  const hex = match[1];
  const text = await readFile(path.join(root, "blobs", "sha256", hex.slice(0, 2), hex, "data"), "utf8").catch(() => "");
  try {
    return JSON.parse(text) as Manifest;
  } catch {
    return undefined;
  }
}
