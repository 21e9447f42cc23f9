import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { TestDaemon } from "./harness/daemon.ts";
import { docker } from "./harness/docker.ts";
import { eventually } from "./harness/http.ts";
import { json, mc } from "./harness/mc.ts";
import { BASE_IMAGE } from "./harness/paths.ts";
import { createTenant, deployVia, type TestTenant } from "./harness/tenant.ts";

const run = promisify(execFile);
const MB = 1024 * 1024;
const LINE = "x".repeat(200);
/** Writes 200-character lines as fast as the engine takes them, for ever. */
const CHATTY = ["sh", "-c", `exec yes ${LINE}`];
/** Writes `lines` 200-character lines, then `done`, then idles. */
const writesLines = (lines: number) => [
  "sh",
  "-c",
  `i=0; while [ $i -lt ${lines} ]; do echo ${LINE}; i=$((i+1)); done; echo done; exec sleep 3600`,
];

/** mcd's resident memory, from /proc. */
async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) * 1024;
}

/**
 * mcd's connections to the Docker engine: its sockets whose peer is the engine's socket (`ss -x`
 * lists both ends of each Unix connection, the engine's end named after docker.sock).
 */
async function engineConnections(pid: number): Promise<number> {
  const own = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const inode = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ""))?.[1];
    if (inode) own.add(inode);
  }
  const { stdout } = await run("ss", ["-xH"]);
  let count = 0;
  for (const line of stdout.split("\n")) {
    const columns = line.trim().split(/\s+/);
    if (columns[4]?.endsWith("docker.sock") && own.has(columns[7] ?? "")) count++;
  }
  return count;
}

/** Samples RSS every 100 ms until `until` settles; returns the highest seen. */
async function peakRss(pid: number, until: Promise<unknown>): Promise<number> {
  let peak = await rssBytes(pid);
  let done = false;
  void until.finally(() => (done = true));
  while (!done) {
    peak = Math.max(peak, await rssBytes(pid));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await until;
  return Math.max(peak, await rssBytes(pid));
}

/**
 * Opens a request on a raw socket and returns once the response head arrived; the caller decides
 * whether to read on (socket.resume()) or to stop reading (socket.pause()), as a stalled client would.
 */
function rawRequest(
  port: number,
  path: string,
  key: string,
  body?: { type: string; bytes: Buffer },
): Promise<{ socket: net.Socket; head: string; early: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    socket.once("error", reject);
    socket.on("data", function onData(chunk: Buffer) {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (end === -1) return;
      socket.off("data", onData);
      socket.pause();
      resolve({ socket, head: received.subarray(0, end).toString("latin1"), early: received.subarray(end + 4) });
    });
    const method = body ? "POST" : "GET";
    const headers = body ? `Content-Type: ${body.type}\r\nContent-Length: ${body.bytes.length}\r\n` : "";
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n${headers}Connection: close\r\n\r\n`);
    if (body) socket.write(body.bytes);
  });
}

/** The payload of a chunked HTTP/1.1 body. */
function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < raw.length) {
    const lineEnd = raw.indexOf("\r\n", offset);
    const size = Number.parseInt(raw.subarray(offset, lineEnd).toString("latin1"), 16);
    if (!(size > 0)) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** A build context: a tar holding just this Dockerfile. */
async function contextOf(dockerfile: string): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "hardening-build-"));
  try {
    await writeFile(path.join(dir, "Dockerfile"), dockerfile);
    const { stdout } = await run("tar", ["-C", dir, "-cf", "-", "Dockerfile"], { encoding: "buffer", maxBuffer: 1024 * 1024 });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("hardening: slow log readers, large log reads and failed-auth floods stay bounded", () => {
  let daemon: TestDaemon;
  let acme: TestTenant;
  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start({ MC_AUTH_FAILURE_LIMIT: "20", MC_AUTH_FAILURE_WINDOW: "5" });
    acme = await createTenant(daemon, "acme");
  });
  after(() => daemon.destroy());

  test("a follower that stops reading a chatty app's logs holds mcd's memory bounded, and closing frees the engine's streams", async (t) => {
    await deployVia(acme.client(), { name: "chatty", image: BASE_IMAGE, command: CHATTY, count: 2 });
    const pid = daemon.pid;
    const { socket, head } = await rawRequest(daemon.port, "/v1/apps/chatty/logs?follow=true", acme.key);
    assert.match(head, /^HTTP\/1\.1 200/);
    // Both instances' engine log streams are open (idle pooled connections may be among the count).
    const attached = await eventually(
      () => engineConnections(pid),
      (count) => count >= 2,
    );
    assert.ok(attached >= 2, `engine log streams open: ${attached}`);

    // The client reads nothing for 20 s while the app writes megabytes a second.
    const start = await rssBytes(pid);
    const peak = await peakRss(pid, new Promise((resolve) => setTimeout(resolve, 20_000)));
    const growth = peak - start;
    t.diagnostic(`RSS ${Math.round(start / MB)} MB → peak ${Math.round(peak / MB)} MB behind a stalled follower`);
    // Generous: the durable log collector ingests the same megabytes a second meanwhile (through its
    // own bounded queue); an unbounded follower grew mcd by ~45 MB a second, 1.75 GB in 40 s.
    assert.ok(growth < 120 * MB, `mcd grew by ${Math.round(growth / MB)} MB behind a stalled reader (bound: 120 MB)`);

    // Reading again, the stream goes on with whole NDJSON lines (nothing was cut mid-line).
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    socket.resume();
    await eventually(
      async () => text.split("\n").length,
      (lines) => lines > 1000,
    );
    const lines = text.split("\n").slice(2, 500);
    const parsed = lines.filter((l) => l.startsWith("{")).map((l) => json<{ line: string; instance: string }>(l));
    assert.ok(parsed.length > 100, "log lines arrive after the reader resumes");
    assert.ok(parsed.every((l) => l.line === LINE || l.line.startsWith("[minicloud]")));

    const streaming = await engineConnections(pid);
    socket.destroy();
    const closed = await eventually(
      () => engineConnections(pid),
      (count) => count <= streaming - 2,
      15_000,
    );
    assert.ok(
      closed <= streaming - 2,
      `the engine's log streams close with the client: ${closed} engine connections, ${streaming} while following`,
    );
    const client = acme.client();
    await client.apps.destroy("chatty");
    await client.close();
  });

  test("a build whose reader stops reading holds mcd's memory bounded; the reader later gets a counted drop line and the result", async (t) => {
    // About 150 MB of output from one RUN step, as fast as the engine passes it on.
    const context = await contextOf(`FROM ${BASE_IMAGE}\nRUN yes ${LINE} | head -n 750000\n`);
    const pid = daemon.pid;
    const start = await rssBytes(pid);
    const { socket, head, early } = await rawRequest(daemon.port, "/v1/apps/noisy/builds", acme.key, {
      type: "application/x-tar",
      bytes: context,
    });
    assert.match(head, /^HTTP\/1\.1 200/);
    // Not reading, until the daemon has sent the build its last line: mcd's memory is sampled all along.
    const body: Buffer[] = [early];
    const finished = eventually(
      async () => {
        const images = await docker.listImages({ filters: { reference: [`${daemon.prefix}-images/acme/noisy`] } });
        return images.length;
      },
      (count) => count > 0,
      300_000,
    );
    const peak = await peakRss(pid, finished);
    t.diagnostic(`RSS ${Math.round(start / MB)} MB → peak ${Math.round(peak / MB)} MB behind a stalled build reader`);
    assert.ok((await finished) > 0, "the build finished");
    assert.ok(peak - start < 60 * MB, `mcd grew by ${Math.round((peak - start) / MB)} MB behind a stalled build reader (bound: 60 MB)`);

    socket.on("data", (chunk: Buffer) => body.push(chunk));
    socket.resume();
    await new Promise((resolve) => socket.once("close", resolve));
    const lines = dechunk(Buffer.concat(body))
      .toString("utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => json<{ stream?: string; image?: string; error?: string }>(l));
    assert.ok(lines.at(-1)?.image, `the build's result comes last: ${JSON.stringify(lines.at(-1))}`);
    const dropped = lines.filter((l) => /^\[minicloud\] \d+ lines of build output dropped/.test(l.stream ?? ""));
    assert.ok(dropped.length > 0, "the lines the reader had no room for are counted in a visible line");
  });

  test("non-follow reads of an app with ~60 MB of logs stream from the log store: memory stays bounded and reads are capped", async (t) => {
    // Two instances × 150,000 lines of 200 characters: the engine keeps its 3 × 10 MB files of each.
    await deployVia(acme.client(), { name: "loud", image: BASE_IMAGE, command: writesLines(150_000), count: 2 });
    const client = acme.client();
    const ndjson = async (query: string) => {
      const response = await fetch(`${daemon.tcpUrl}/v1/apps/loud/logs${query}`, { headers: { authorization: `Bearer ${acme.key}` } });
      assert.equal(response.status, 200);
      return response;
    };
    await eventually(
      async () => (await (await ndjson("?tail=1")).text()).split("\n").filter((l) => l.includes('"line":"done"')).length,
      (done) => done === 2,
      120_000,
    );
    await client.close();

    const pid = daemon.pid;
    const start = await rssBytes(pid);
    const read = async () => {
      const response = await ndjson("");
      let lines = 0;
      let markers = 0;
      let previous = 0;
      let ordered = true;
      let rest = "";
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        const parts = (rest + Buffer.from(chunk).toString("utf8")).split("\n");
        rest = parts.pop() ?? "";
        for (const part of parts) {
          const line = json<{ ts: string; line: string }>(part);
          if (line.line.startsWith("[minicloud] only the newest")) markers++;
          else {
            lines++;
            const at = Date.parse(line.ts);
            if (at < previous) ordered = false;
            previous = at;
          }
        }
      }
      return { lines, markers, ordered };
    };
    const reads = Promise.all([read(), read(), read()]);
    const peak = await peakRss(pid, reads);
    const results = await reads;
    const growth = peak - start;
    t.diagnostic(`RSS ${Math.round(start / MB)} MB → peak ${Math.round(peak / MB)} MB during three reads`);
    assert.ok(growth < 150 * MB, `three concurrent reads grew mcd by ${Math.round(growth / MB)} MB (bound: 150 MB)`);
    for (const result of results) {
      assert.ok(result.lines > 50_000, `a read returns the logs (${result.lines} lines)`);
      assert.ok(result.lines <= 2 * 100_000, `a read without --tail/--since returns at most 100,000 lines per instance (${result.lines})`);
      assert.equal(result.lines === 200_000, result.markers === 2, "a capped instance says older lines exist");
      assert.ok(result.ordered, "the instances' lines are merged in time order");
    }

    // --tail is honoured exactly, across instances in time order.
    const tail = (await (await ndjson("?tail=5")).text()).trim().split("\n");
    assert.equal(tail.length, 10);
    const stamps = tail.map((l) => json<{ ts: string }>(l).ts);
    assert.deepEqual([...stamps].sort(), stamps);
    const tooMany = await fetch(`${daemon.tcpUrl}/v1/apps/loud/logs?tail=100001`, { headers: { authorization: `Bearer ${acme.key}` } });
    assert.equal(tooMany.status, 400);
    await tooMany.arrayBuffer();
  });

  test("the events and audit follow streams send history, then live entries, through their bounded outboxes", async () => {
    const admin = await daemon.adminKey();
    const open = async (path: string, key: string) => {
      const controller = new AbortController();
      const response = await fetch(`${daemon.tcpUrl}${path}`, { headers: { authorization: `Bearer ${key}` }, signal: controller.signal });
      assert.equal(response.status, 200, path);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let buffered = "";
      const lines: string[] = [];
      /** Reads until `check` holds for a line; returns that line. */
      const until = async (check: (line: string) => boolean): Promise<string> => {
        while (true) {
          const found = lines.find(check);
          if (found) return found;
          const { done, value } = await reader.read();
          if (done) throw new Error(`${path} ended`);
          const parts = (buffered + Buffer.from(value).toString("utf8")).split("\n");
          buffered = parts.pop() ?? "";
          lines.push(...parts);
        }
      };
      return { until, lines, close: () => controller.abort() };
    };
    const audit = await open("/v1/audit?follow=true&tail=2", admin);
    const events = await open("/v1/events?follow=true&app=loud", acme.key);
    await audit.until(() => audit.lines.length >= 2);
    assert.equal(audit.lines.length, 2, "the history is the last 2 entries");

    const destroyed = await fetch(`${daemon.tcpUrl}/v1/apps/loud`, { method: "DELETE", headers: { authorization: `Bearer ${acme.key}` } });
    assert.equal(destroyed.status, 200);
    await destroyed.arrayBuffer();
    const event = json<{ type: string }>(await events.until((line) => line.includes('"app.destroyed"')));
    assert.equal(event.type, "app.destroyed");
    const entry = json<{ action: string; tenant: string }>(await audit.until((line) => line.includes('"DELETE /v1/apps/loud"')));
    assert.equal(entry.tenant, "acme");
    audit.close();
    events.close();
  });

  test("a flood of bad keys from one address: mostly 429, a handful of counted audit entries, valid keys still served", async () => {
    const admin = daemon.client();
    const [last] = await readAudit(admin, 1);
    const sinceSeq = last?.seq ?? 0;

    const forged = "mck_abcdefgh_forgedforgedforgedforgedforgedforgedforged1";
    const statuses = new Map<number, number>();
    let retryAfter = 0;
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 2000) {
          next++;
          const bad = next % 3 === 0 ? "Bearer not-a-key" : `Bearer ${forged}`;
          const response = await fetch(`${daemon.tcpUrl}/v1/apps`, { headers: { authorization: bad } });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (response.status === 429) retryAfter = Math.max(retryAfter, Number(response.headers.get("retry-after")));
          await response.arrayBuffer();
        }
      }),
    );
    // A valid key from the same address is not refused: the per-address limit counts failures only.
    const valid = await fetch(`${daemon.tcpUrl}/v1/apps`, { headers: { authorization: `Bearer ${acme.key}` } });
    assert.equal(valid.status, 200, "a valid key from a flooding address is still served");
    await valid.arrayBuffer();
    // A WebSocket upgrade with a bad key counts too, and is refused the same way while the address is over.
    const upgrade = await new Promise<number>((resolve, reject) => {
      const request = http.get(`${daemon.tcpUrl}/v1/events`, {
        headers: {
          authorization: `Bearer ${forged}`,
          connection: "Upgrade",
          upgrade: "websocket",
          "sec-websocket-version": "13",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
      });
      request.once("response", (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.once("upgrade", () => reject(new Error("upgraded with a forged key")));
      request.once("error", reject);
    });
    const windows = Math.ceil((Date.now() - started) / 5000) + 1;

    const unauthorized = statuses.get(401) ?? 0;
    const limited = statuses.get(429) ?? 0;
    assert.equal(unauthorized + limited, 2000, JSON.stringify([...statuses]));
    assert.ok(unauthorized <= 20 * windows, `at most 20 failures per 5 s window are answered 401 (${unauthorized} in ${windows} windows)`);
    assert.ok(limited > unauthorized, `mostly 429 (${limited} of 2000)`);
    assert.ok(retryAfter >= 1 && retryAfter <= 5, `Retry-After says when the window ends (${retryAfter})`);
    assert.ok([401, 429].includes(upgrade), `a forged upgrade is refused (${upgrade})`);

    // Once the windows close, the audit log holds a handful of entries whose counts add up to the failures.
    const failures = async () => (await readAudit(admin, 200)).filter((e) => e.seq > sinceSeq && e.actor.role === "anonymous");
    const entries = await eventually(failures, (found) => found.reduce((sum, e) => sum + (e.count ?? 1), 0) >= 2001, 30_000);
    assert.equal(
      entries.reduce((sum, e) => sum + (e.count ?? 1), 0),
      2001,
      "every failure is counted once",
    );
    assert.ok(entries.length <= 2 * windows + 2, `a handful of entries (${entries.length}), not one per request`);
    assert.ok(entries.every((e) => e.actor.address === "127.0.0.1" || e.actor.address === "::ffff:127.0.0.1"));
    assert.ok(entries.some((e) => (e.count ?? 1) > 1 && e.outcome.status === 429));

    const verify = await mc(["audit", "verify", "--json"], daemon.env);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(json<{ ok: boolean }>(verify.stdout).ok, true);

    // ?tail=N comes from the end of the file: the same last N as a full read.
    const all = await readAudit(admin);
    const five = await readAudit(admin, 5);
    assert.deepEqual(
      five.map((e) => e.seq),
      all.slice(-5).map((e) => e.seq),
    );
    await admin.close();
  });
});

interface Entry {
  seq: number;
  actor: { role: string; address?: string };
  outcome: { status: number };
  count?: number;
}

async function readAudit(client: ReturnType<TestDaemon["client"]>, tail?: number): Promise<Entry[]> {
  const stream = await client.account.audit({ allTenants: true, tail });
  let text = "";
  for await (const chunk of stream) text += chunk;
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => json<Entry>(line));
}
