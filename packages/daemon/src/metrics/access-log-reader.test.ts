import assert from "node:assert/strict";
import { appendFile, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { AccessLogReader, normalHost } from "./access-log-reader.ts";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

/** A line as Caddy 2.6 writes it with the headers filtered out. */
const line = (host: string, status: number, duration: number) =>
  `${JSON.stringify({ level: "info", logger: "http.log.access.mc_access", msg: "handled request", request: { method: "GET", host, uri: '/"status":999' }, duration, size: 3, status })}\n`;

test("counts what was appended since the last read, by host and status class; a rolled file is finished first", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mc-access-"));
  dirs.push(dir);
  const file = path.join(dir, "access.log");
  await writeFile(file, line("web.acme.localhost", 200, 1));
  const reader = new AccessLogReader(file);
  try {
    assert.equal((await reader.take()).size, 0, "what was there before the first read is not counted");
    await appendFile(
      file,
      `${line("Web.Acme.localhost:8080", 200, 0.5) + line("web.acme.localhost.", 404, 0.25)}{"request":{"host":"web.acme.lo`,
    );
    const first = await reader.take();
    assert.deepEqual(first.get("web.acme.localhost"), { requests: 2, classes: [0, 1, 0, 1, 0], durationSeconds: 0.75 });
    // The torn line completes; then the file rolls and a new one starts.
    await appendFile(file, `calhost"},"duration":2,"status":503}\n${line("api.acme.localhost", 301, 0)}`);
    await rename(file, path.join(dir, "access-1.log"));
    await writeFile(file, line("web.acme.localhost", 500, 1));
    const second = await reader.take();
    assert.deepEqual(second.get("web.acme.localhost"), { requests: 2, classes: [0, 0, 0, 0, 2], durationSeconds: 3 });
    assert.equal(second.get("api.acme.localhost")?.classes[2], 1);
  } finally {
    await reader.close();
  }
});

test("hosts: case, port and a trailing dot do not matter", () => {
  assert.equal(normalHost("Web.Acme.Cloud.Local.:443"), "web.acme.cloud.local");
});
