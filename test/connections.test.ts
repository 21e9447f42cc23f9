import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { TestDaemon } from "./harness/daemon.ts";
import { curl, eventually } from "./harness/http.ts";
import { json, mc } from "./harness/mc.ts";
import { BASE_IMAGE, SAMPLE_IMAGE } from "./harness/paths.ts";
import { createTenant, deployVia, type TestTenant } from "./harness/tenant.ts";

const IDLE = ["sh", "-c", "echo ready; exec sleep 3600"];

/** Opens a log follow on its own connection; resolves with the response once its head arrived (the body is read and discarded). */
function follow(daemon: TestDaemon, app: string, key: string): Promise<{ status: number; body: Promise<string>; close(): void }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${daemon.tcpUrl}/v1/apps/${app}/logs?follow=true`,
      { agent: false, headers: { authorization: `Bearer ${key}` } },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          if (text.length < 64 * 1024) text += chunk;
        });
        const body = new Promise<string>((done) => {
          response.once("end", () => done(text));
          response.once("close", () => done(text));
        });
        resolve({ status: response.statusCode ?? 0, body, close: () => request.destroy() });
      },
    );
    request.once("error", reject);
  });
}

/** A daemon with these settings, tenants acme and beta, and acme's idle app "quiet" with `count` instances. */
async function daemonWithTenants(
  settings: NodeJS.ProcessEnv,
  count = 1,
): Promise<{ daemon: TestDaemon; acme: TestTenant; beta: TestTenant }> {
  const daemon = await TestDaemon.create();
  await daemon.start(settings);
  const [acme, beta] = await Promise.all([createTenant(daemon, "acme"), createTenant(daemon, "beta")]);
  await deployVia(acme.client(), { name: "quiet", image: BASE_IMAGE, command: IDLE, count });
  return { daemon, acme, beta };
}

describe("connections: open streams per key and tenant, slow headers, and the control path under load", () => {
  let daemon: TestDaemon;
  let acme: TestTenant;
  let beta: TestTenant;
  const open: { close(): void }[] = [];
  before(async () => {
    ({ daemon, acme, beta } = await daemonWithTenants({ MC_HEADER_TIMEOUT: "2", MC_STREAMS_PER_KEY: "20", MC_STREAMS_PER_TENANT: "50" }));
  });
  after(async () => {
    for (const stream of open) stream.close();
    await daemon.destroy();
  });

  test("a key holds at most 20 open streams: the 21st log follow is refused with 429 naming the limit, the 20 keep working", async () => {
    const first = await Promise.all(Array.from({ length: 20 }, () => follow(daemon, "quiet", acme.key)));
    open.push(...first);
    assert.deepEqual(
      first.map((f) => f.status),
      Array(20).fill(200),
    );
    const refused = await follow(daemon, "quiet", acme.key);
    open.push(refused);
    assert.equal(refused.status, 429);
    const problem = JSON.parse(await refused.body) as { code: string; detail: string };
    assert.equal(problem.code, "rate_limited");
    assert.match(problem.detail, /20 streams open.*MC_STREAMS_PER_KEY/);

    // Non-streaming requests of the same key are still served, and a closed follow frees its slot.
    assert.equal((await mc(["status", "quiet", "--json"], acme.env)).code, 0);
    first[0]?.close();
    const again = await eventually(
      async () => {
        const attempt = await follow(daemon, "quiet", acme.key);
        open.push(attempt);
        if (attempt.status !== 200) attempt.close();
        return attempt.status;
      },
      (status) => status === 200,
      15_000,
    );
    assert.equal(again, 200, "the slot of a closed follow is given back");
    for (const stream of open.splice(0)) stream.close();
  });

  test("a client that sends half a request line and waits is disconnected within the header timeout", async () => {
    const socket = net.connect(daemon.port, "127.0.0.1");
    const closed = new Promise<boolean>((resolve) => socket.once("close", () => resolve(true)));
    socket.on("error", () => undefined);
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write("GET /v1/apps HTT");
    const cut = await Promise.race([closed, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 30_000))]);
    socket.destroy();
    assert.equal(cut, true, "the server closed the slow client's connection (MC_HEADER_TIMEOUT=2)");
  });

  test("a tenant holds at most 50 across its keys; with them open, /healthz answers and another tenant deploys and follows", async () => {
    // A second key of acme: with two keys the tenant holds 40 followers.
    const made = await mc(["keys", "create", "--json"], acme.env);
    assert.equal(made.code, 0, made.stderr);
    const second = json<{ key: string }>(made.stdout).key;
    const followers = await Promise.all([
      ...Array.from({ length: 20 }, () => follow(daemon, "quiet", acme.key)),
      ...Array.from({ length: 20 }, () => follow(daemon, "quiet", second)),
    ]);
    open.push(...followers);
    assert.equal(followers.filter((f) => f.status === 200).length, 40);
    // A third key: the tenant's 50 are reached whatever the keys.
    const third = json<{ key: string }>((await mc(["keys", "create", "--json"], acme.env)).stdout).key;
    const more = await Promise.all(Array.from({ length: 10 }, () => follow(daemon, "quiet", third)));
    open.push(...more);
    assert.equal(more.filter((f) => f.status === 200).length, 10);
    const over = await follow(daemon, "quiet", third);
    open.push(over);
    assert.equal(over.status, 429);
    assert.match(JSON.parse(await over.body).detail, /tenant acme has 50 streams open.*MC_STREAMS_PER_TENANT/);

    const health = await curl(`${daemon.tcpUrl}/healthz`);
    assert.equal(health.status, 200, health.body);
    const deployed = await mc(["deploy", "web", "--image", SAMPLE_IMAGE, "--port", "8080", "--json"], beta.env);
    assert.equal(deployed.code, 0, deployed.stderr);
    const beta1 = await follow(daemon, "web", beta.key);
    open.push(beta1);
    assert.equal(beta1.status, 200, "another tenant's streams are its own");
    for (const stream of open.splice(0)) stream.close();
  });
});

describe("connections: the fd budget keeps the control path alive", () => {
  let daemon: TestDaemon;
  let acme: TestTenant;
  let beta: TestTenant;
  const open: { close(): void }[] = [];
  before(async () => {
    // Per-key and per-tenant limits out of the way: only the descriptors bound the followers here.
    const settings = { MC_STREAMS_PER_KEY: "10000", MC_STREAMS_PER_TENANT: "10000", MC_CONNECTIONS_PER_ADDRESS: "10000" };
    ({ daemon, acme, beta } = await daemonWithTenants(settings, 2));
  });
  after(async () => {
    for (const stream of open) stream.close();
    await daemon.destroy();
  });

  test("with mcd's fd limit lowered to 400, followers are refused before it runs out; /healthz and another tenant's deploy still work", async () => {
    await promisify(execFile)("prlimit", ["--pid", String(daemon.pid), "--nofile=400:400"]);
    let refused: { status: number; body: Promise<string> } | undefined;
    for (let i = 0; i < 400 && !refused; i++) {
      const attempt = await follow(daemon, "quiet", acme.key);
      open.push(attempt);
      if (attempt.status !== 200) refused = attempt;
    }
    assert.ok(refused, "a follower was refused");
    assert.equal(refused.status, 429);
    assert.match(JSON.parse(await refused.body).detail, /of its 400 file descriptors/);
    const fds = (await readdir(`/proc/${daemon.pid}/fd`)).length;
    assert.ok(fds < 400, `mcd holds ${fds} descriptors, under its limit`);

    const health = await curl(`${daemon.tcpUrl}/healthz`);
    assert.equal(health.status, 200, health.body);
    const deployed = await mc(["deploy", "web", "--image", SAMPLE_IMAGE, "--port", "8080", "--json"], beta.env);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.equal((await mc(["status", "web", "--json"], beta.env)).code, 0);
  });
});

describe("connections: open connections per client address", () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start({ MC_CONNECTIONS_PER_ADDRESS: "20" });
  });
  after(() => daemon.destroy());

  test("past MC_CONNECTIONS_PER_ADDRESS, one address's next connection is closed before it is read; closing some lets it in again", async () => {
    const connect = () =>
      new Promise<{ socket: net.Socket; closed: Promise<void> }>((resolve, reject) => {
        const socket = net.connect(daemon.port, "127.0.0.1");
        const closed = new Promise<void>((done) => socket.once("close", () => done()));
        socket.on("error", () => undefined);
        socket.once("connect", () => resolve({ socket, closed }));
        socket.once("error", reject);
      });
    const held = await Promise.all(Array.from({ length: 20 }, connect));
    try {
      const extra = await connect();
      await extra.closed;
      assert.equal(
        held.filter((c) => c.socket.destroyed || c.socket.readyState !== "open").length,
        0,
        "the 20 held connections are still open when the 21st was closed",
      );
    } finally {
      for (const c of held) c.socket.destroy();
    }
    const health = await eventually(
      () => curl(`${daemon.tcpUrl}/healthz`),
      (r) => r.status === 200,
      15_000,
    );
    assert.equal(health.status, 200, "with the held connections gone, the address is served again");
  });
});
