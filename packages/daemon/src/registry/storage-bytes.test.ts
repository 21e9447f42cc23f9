import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { namespaceBytes } from "./storage-bytes.ts";

/** The registry's filesystem layout, written by hand: blobs by digest, tags as links. */
async function storage() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mcd-registry-bytes-"));
  const root = path.join(dir, "docker", "registry", "v2");
  const blob = async (content: object) => {
    const text = JSON.stringify(content);
    const hex = createHash("sha256").update(text).digest("hex");
    await mkdir(path.join(root, "blobs", "sha256", hex.slice(0, 2), hex), { recursive: true });
    await writeFile(path.join(root, "blobs", "sha256", hex.slice(0, 2), hex, "data"), text);
    return `sha256:${hex}`;
  };
  const tag = async (repository: string, name: string, digest: string) => {
    const current = path.join(root, "repositories", repository, "_manifests", "tags", name, "current");
    await mkdir(current, { recursive: true });
    await writeFile(path.join(current, "link"), digest);
  };
  return { dir, blob, tag };
}

const part = (n: number, size: number) => ({ digest: `sha256:${String(n).repeat(64)}`, size });

test("a tenant's bytes: tagged images' config and layers, a shared layer once, an index's platforms, untagged nothing", async () => {
  const { dir, blob, tag } = await storage();
  try {
    const web = await blob({ config: part(1, 10), layers: [part(2, 1000), part(3, 500)] });
    const api = await blob({ config: part(4, 20), layers: [part(2, 1000), part(5, 300)] });
    await tag("acme/web", "v1", web);
    await tag("acme/team/api", "v1", api);
    const arm = await blob({ config: part(6, 30), layers: [part(7, 700)] });
    await tag("acme/multi", "v1", await blob({ manifests: [{ digest: arm }] }));
    await blob({ config: part(8, 1), layers: [part(9, 99_999)] }); // pushed, never tagged
    await tag("globex/web", "v1", web);
    assert.equal(await namespaceBytes(dir, "acme"), 10 + 1000 + 500 + 20 + 300 + 30 + 700);
    assert.equal(await namespaceBytes(dir, "globex"), 10 + 1000 + 500, "each tenant pays for what it holds");
    assert.equal(await namespaceBytes(dir, "nobody"), 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
