import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import pino from "pino";
import { findBinary } from "../supervisor/binaries.ts";
import { BuiltinRegistry } from "./builtin-registry.ts";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const digestOf = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

// The real docker-registry (installed by scripts/setup): upload, measure, delete, collect garbage.
test("garbage collection runs with the registry read-only, frees a deleted image's blobs, and leaves it writable", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mcd-registry-"));
  const registry = new BuiltinRegistry(
    {
      bin: findBinary("docker-registry", undefined, "MC_REGISTRY_BIN"),
      dataDir: dir,
      port: await freePort(),
      mcdUrl: "http://127.0.0.1:9",
      gcSchedule: "0 0 1 1 *",
    },
    pino({ level: "silent" }),
  );
  try {
    await registry.start();
    const repository = "acme/app";
    const auth = {
      Authorization: `Bearer ${registry.mint("test", [{ type: "repository", name: repository, actions: ["pull", "push", "delete"] }])}`,
    };
    const base = `http://${registry.host}/v2/${repository}`;
    const upload = async (bytes: Buffer) => {
      const digest = digestOf(bytes);
      const started = await fetch(`${base}/blobs/uploads/`, { method: "POST", headers: auth });
      assert.equal(started.status, 202, await started.text());
      const location = new URL(started.headers.get("location") ?? "", `http://${registry.host}`);
      location.searchParams.set("digest", digest);
      const put = await fetch(location, { method: "PUT", headers: { ...auth, "Content-Type": "application/octet-stream" }, body: bytes });
      assert.equal(put.status, 201, await put.text());
      return { digest, size: bytes.length };
    };
    const config = await upload(Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'));
    const layer = await upload(randomBytes(100_000));
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      config: { mediaType: "application/vnd.docker.container.image.v1+json", ...config },
      layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", ...layer }],
    });
    const put = await fetch(`${base}/manifests/v1`, {
      method: "PUT",
      headers: { ...auth, "Content-Type": "application/vnd.docker.distribution.manifest.v2+json" },
      body: manifest,
    });
    assert.equal(put.status, 201, await put.text());
    assert.equal(await registry.bytesOf("acme"), config.size + layer.size);
    assert.equal(await registry.bytesOf("globex"), 0);

    await registry.deleteManifest(repository, digestOf(Buffer.from(manifest)));
    assert.equal(await registry.bytesOf("acme"), 0, "an untagged image holds nothing");
    assert.equal((await fetch(`${base}/blobs/${layer.digest}`, { method: "HEAD", headers: auth })).status, 200, "its blobs stay until GC");
    await registry.collectGarbage();
    assert.equal((await fetch(`${base}/blobs/${layer.digest}`, { method: "HEAD", headers: auth })).status, 404, "GC freed them");
    assert.equal(registry.status().state, "running");
    const writable = await fetch(`${base}/blobs/uploads/`, { method: "POST", headers: auth });
    assert.equal(writable.status, 202, "writable again after GC");
  } finally {
    await registry.release();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a registry port someone else holds stops the start with a message naming MC_REGISTRY_PORT", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mcd-registry-"));
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  const { port } = holder.address() as net.AddressInfo;
  const registry = new BuiltinRegistry(
    {
      bin: findBinary("docker-registry", undefined, "MC_REGISTRY_BIN"),
      dataDir: dir,
      port,
      mcdUrl: "http://127.0.0.1:9",
      gcSchedule: "0 0 1 1 *",
    },
    pino({ level: "silent" }),
  );
  try {
    await assert.rejects(registry.start(), new RegExp(`cannot listen on 127.0.0.1:${port}: it is already in use .*MC_REGISTRY_PORT`));
  } finally {
    await registry.release();
    holder.close();
    await rm(dir, { recursive: true, force: true });
  }
});
