import assert from "node:assert/strict";
import { Resolver } from "node:dns/promises";
import { readFile, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { DeployRequest } from "@minicloud/shared";
import WebSocket from "ws";
import { IDLE_COMMAND, RAW_SERVER_COMMAND, whoAmICommand } from "./harness/apps.ts";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf, execIn } from "./harness/docker.ts";
import { curl, eventually } from "./harness/http.ts";
import { json, mc } from "./harness/mc.ts";
import { BASE_IMAGE } from "./harness/paths.ts";
import { createTenant, deployVia, type TestTenant } from "./harness/tenant.ts";

function deploy(tenant: TestTenant, request: DeployRequest) {
  return deployVia(tenant.client(), request);
}

/** The body of a request to the ingress with an arbitrary Host header. */
function viaHost(daemon: TestDaemon, host: string) {
  return curl(`http://127.0.0.1:${daemon.httpPort}/`, { headers: { Host: host } });
}

async function containerOf(daemon: TestDaemon, tenant: string, app: string): Promise<string> {
  const [container] = await containersOf(daemon.prefix, [`minicloud.tenant=${tenant}`, `minicloud.app=${app}`]);
  assert.ok(container, `a container of ${tenant}/${app}`);
  return container.Id;
}

function nslookup(containerId: string, name: string) {
  return execIn(containerId, ["nslookup", name]);
}

/** Addresses in nslookup's answer section (after the "Name:" line). */
function answers(output: string): string[] {
  const after = output
    .split(/^Name:/m)
    .slice(1)
    .join("\n");
  return [...after.matchAll(/Address:\s*(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1] ?? "");
}

describe("networking: Caddy ingress and CoreDNS tenant DNS, supervised by the daemon", () => {
  let daemon: TestDaemon;
  let acme: TestTenant;
  let beta: TestTenant;
  let caFile: string;
  let hostsFile: string;

  before(async () => {
    daemon = await TestDaemon.create();
    hostsFile = path.join(daemon.dir, "hosts");
    await writeFile(hostsFile, "127.0.0.1 localhost\n");
    await daemon.start({ MC_HOSTS_FILE: hostsFile });
    [acme, beta] = await Promise.all([createTenant(daemon, "acme"), createTenant(daemon, "beta")]);
    await Promise.all([
      deploy(acme, { name: "web", image: BASE_IMAGE, port: 8080, count: 3, command: whoAmICommand("acme") }),
      deploy(beta, { name: "web", image: BASE_IMAGE, port: 8080, count: 1, command: whoAmICommand("beta") }),
      deploy(acme, { name: "client", image: BASE_IMAGE, command: IDLE_COMMAND }),
      deploy(beta, { name: "client", image: BASE_IMAGE, command: IDLE_COMMAND }),
    ]);
    const ca = await mc(["ingress", "ca"], acme.env);
    assert.equal(ca.code, 0, ca.stderr);
    assert.match(ca.stdout, /^-----BEGIN CERTIFICATE-----/);
    caFile = path.join(daemon.dir, "ingress-ca.pem");
    await writeFile(caFile, ca.stdout);
  });
  after(async () => {
    await daemon.destroy();
  });

  test("two tenants with the same app name each reach their own app, over HTTP and HTTPS", async () => {
    for (const [tenant, who] of [
      ["acme", "acme"],
      ["beta", "beta"],
    ]) {
      const plain = await curl(daemon.url("web", tenant));
      assert.equal(plain.status, 200);
      assert.match(plain.body, new RegExp(`^${who} `));
      const secure = await curl(daemon.url("web", tenant, "https"), { cacert: caFile });
      assert.equal(secure.status, 200, "HTTPS verifies against the ingress CA");
      assert.match(secure.body, new RegExp(`^${who} `));
    }
    assert.equal((await curl(daemon.url("web", "acme", "https"))).status, 0, "without the CA, curl refuses the certificate");
  });

  test("app names that would collide with the platform's own hosts (the dashboard's, say) are refused", async () => {
    for (const name of ["dashboard", "api", "ingress"]) {
      const viaCli = await mc(["deploy", name, "--image", BASE_IMAGE, "--port", "8080", "--json"], acme.env);
      assert.equal(viaCli.code, 2, viaCli.stderr);
      assert.match(viaCli.stderr, /reserved/);
    }
    await assert.rejects(deploy(acme, { name: "dashboard", image: BASE_IMAGE, port: 8080 }), /reserved/, "the daemon refuses it too");
  });

  test("mc status prints the ingress URLs", async () => {
    const status = await mc(["status", "web", "--json"], acme.env);
    assert.equal(status.code, 0, status.stderr);
    const app = json<{ url: string; httpsUrl: string }>(status.stdout);
    assert.equal(app.url, daemon.url("web", "acme"));
    assert.equal(app.httpsUrl, daemon.url("web", "acme", "https"));
  });

  test("three instances all receive requests", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const response = await curl(daemon.url("web", "acme"));
      assert.equal(response.status, 200);
      seen.add(response.body.trim());
    }
    assert.equal(seen.size, 3, `every instance answered: ${[...seen].join(", ")}`);
  });

  test("Host headers: case, ports and a trailing dot route; unknown tenants and apps get our 404 page", async () => {
    for (const host of ["WEB.ACME.localhost", `web.acme.localhost:${daemon.httpPort}`, "web.acme.localhost.", "Web.Acme.LOCALHOST:1"]) {
      const response = await viaHost(daemon, host);
      assert.equal(response.status, 200, host);
      assert.match(response.body, /^acme /, host);
    }
    for (const host of ["web.nobody.localhost", "nope.acme.localhost", "acme.localhost", "web.acme.localhost.example.com", "127.0.0.1"]) {
      const response = await viaHost(daemon, host);
      assert.equal(response.status, 404, host);
      assert.match(response.body, /No app answers at this address/, host);
    }
  });

  test("a stopped app's host returns 404 and comes back on start", async () => {
    assert.equal((await mc(["stop", "web"], beta.env)).code, 0);
    assert.equal((await curl(daemon.url("web", "beta"))).status, 404);
    assert.equal((await curl(daemon.url("web", "acme"))).status, 200, "the other tenant's app of the same name keeps serving");
    assert.equal((await mc(["start", "web"], beta.env)).code, 0);
    const back = await curl(daemon.url("web", "beta"));
    assert.equal(back.status, 200);
    assert.match(back.body, /^beta /);
  });

  test("an instance that fails its health check leaves the pool, and returns when it recovers", async () => {
    await deploy(acme, { name: "flaky", image: BASE_IMAGE, port: 8080, count: 2, healthPath: "/health", command: whoAmICommand("flaky") });
    const [sick] = await containersOf(daemon.prefix, ["minicloud.tenant=acme", "minicloud.app=flaky"]);
    assert.ok(sick);
    const sickName = (await execIn(sick.Id, ["hostname"])).output.trim();
    assert.equal((await execIn(sick.Id, ["rm", "/tmp/www/health"])).code, 0);

    const onlyHealthy = async () => {
      const bodies = new Set<string>();
      for (let i = 0; i < 6; i++) bodies.add((await curl(daemon.url("flaky", "acme"))).body.trim());
      return bodies;
    };
    const evicted = await eventually(onlyHealthy, (bodies) => bodies.size === 1 && ![...bodies][0]?.includes(sickName), 15_000);
    assert.equal(evicted.size, 1, `only the healthy instance serves: ${[...evicted].join(", ")}`);
    assert.ok(![...evicted][0]?.includes(sickName));

    assert.equal((await execIn(sick.Id, ["sh", "-c", "echo ok > /tmp/www/health"])).code, 0);
    const recovered = await eventually(onlyHealthy, (bodies) => bodies.size === 2, 15_000);
    assert.equal(recovered.size, 2, "the recovered instance is back in the pool");
  });

  test("WebSocket-style upgrades and streamed responses pass through the ingress", async () => {
    await deploy(acme, { name: "raw", image: BASE_IMAGE, port: 8080, command: RAW_SERVER_COMMAND });

    // Upgrade: after the 101, bytes flow both ways through Caddy.
    const echoed = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(daemon.httpPort, "127.0.0.1");
      let received = "";
      socket.setTimeout(10_000, () => reject(new Error(`timed out; got ${JSON.stringify(received)}`)));
      socket.on("error", reject);
      socket.on("connect", () =>
        socket.write("GET /socket HTTP/1.1\r\nHost: raw.acme.localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"),
      );
      socket.on("data", (chunk) => {
        received += chunk.toString("utf8");
        if (/^HTTP\/1\.1 101/.test(received) && received.endsWith("\r\n\r\n")) socket.write("ping over the upgraded connection\n");
        if (received.includes("ping over the upgraded connection")) {
          socket.destroy();
          resolve(received);
        }
      });
    });
    assert.match(echoed, /^HTTP\/1\.1 101 Switching Protocols/);

    // Streaming: the first line arrives while the response is still open.
    const { firstChunk, endedBeforeFirstChunk } = await new Promise<{ firstChunk: string; endedBeforeFirstChunk: boolean }>(
      (resolve, reject) => {
        let ended = false;
        const request = http.get(
          { host: "127.0.0.1", port: daemon.httpPort, path: "/stream", headers: { Host: "raw.acme.localhost" } },
          (response) => {
            response.once("data", (chunk: Buffer) => {
              resolve({ firstChunk: chunk.toString("utf8"), endedBeforeFirstChunk: ended });
              response.on("end", () => undefined);
              response.resume();
            });
            response.on("end", () => (ended = true));
          },
        );
        request.on("error", reject);
      },
    );
    assert.equal(firstChunk, "first\n", "the first line is delivered on its own, before the server writes the second");
    assert.equal(endedBeforeFirstChunk, false);
  });

  test("inside a tenant network, apps resolve and answer by name; another tenant's names do not resolve", async () => {
    const acmeClient = await containerOf(daemon, "acme", "client");
    const betaClient = await containerOf(daemon, "beta", "client");
    const acmeWebIps = (await containersOf(daemon.prefix, ["minicloud.tenant=acme", "minicloud.app=web"])).map(
      (c) => Object.values(c.NetworkSettings.Networks)[0]?.IPAddress,
    );

    const own = await nslookup(acmeClient, "web.acme.internal");
    assert.equal(own.code, 0, own.output);
    assert.deepEqual(answers(own.output).sort(), [...acmeWebIps].sort(), "one record per running instance");

    const reached = await execIn(acmeClient, ["sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 web.acme.internal 8080"]);
    assert.match(reached.output, /200 OK[\s\S]*\nacme /, "the app answers by name");

    const foreign = await nslookup(acmeClient, "web.beta.internal");
    assert.notEqual(foreign.code, 0);
    assert.match(foreign.output, /NXDOMAIN/, "another tenant's app is as unknown as a missing one");
    assert.match((await nslookup(acmeClient, "missing.acme.internal")).output, /NXDOMAIN/);

    const betaOwn = await nslookup(betaClient, "web.beta.internal");
    assert.equal(answers(betaOwn.output).length, 1, betaOwn.output);
    assert.match((await nslookup(betaClient, "web.acme.internal")).output, /NXDOMAIN/);
    const unreachable = await execIn(betaClient, ["sh", "-c", `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${acmeWebIps[0]} 8080`]);
    assert.doesNotMatch(unreachable.output, /acme /, "and its instances cannot be reached by address either");
  });

  test("records follow the app: a destroyed app's name stops resolving", async () => {
    const acmeClient = await containerOf(daemon, "acme", "client");
    await deploy(acme, { name: "brief", image: BASE_IMAGE, port: 8080, command: whoAmICommand("brief") });
    assert.equal(answers((await nslookup(acmeClient, "brief.acme.internal")).output).length, 1);
    assert.equal((await mc(["apps", "destroy", "brief", "--yes"], acme.env)).code, 0);
    const gone = await eventually(
      () => nslookup(acmeClient, "brief.acme.internal"),
      (result) => /NXDOMAIN/.test(result.output),
      5000,
    );
    assert.match(gone.output, /NXDOMAIN/);
    assert.equal((await curl(daemon.url("brief", "acme"))).status, 404);
  });

  test("with MC_HOSTS_FILE, the daemon keeps a hosts file listing every routed host", async () => {
    const text = await readFile(hostsFile, "utf8");
    assert.ok(text.startsWith("127.0.0.1 localhost\n"), "the file's own lines are kept");
    for (const host of ["web.acme.localhost", "web.beta.localhost", "raw.acme.localhost"])
      assert.match(text, new RegExp(`^127\\.0\\.0\\.1 ${host}$`, "m"));
    assert.doesNotMatch(text, /brief\.acme/, "a destroyed app's host is gone");
    assert.doesNotMatch(text, /client\./, "apps without a port have no host");
  });

  test("/v1/events over WebSocket: history then live events, scoped by tenant; a bad key is refused", async () => {
    const received = (key: string) => {
      const messages: { tenant: string; app: string | null; type: string }[] = [];
      const socket = new WebSocket(`ws://127.0.0.1:${daemon.port}/v1/events`, { headers: { Authorization: `Bearer ${key}` } });
      socket.on("message", (data) => messages.push(JSON.parse(String(data))));
      const open = new Promise<void>((resolve, reject) => {
        socket.on("open", () => resolve());
        socket.on("error", reject);
      });
      return { socket, messages, open };
    };
    const acmeSocket = received(acme.key);
    const betaSocket = received(beta.key);
    await Promise.all([acmeSocket.open, betaSocket.open]);
    await deploy(beta, { name: "ws-probe", image: BASE_IMAGE, command: IDLE_COMMAND });
    await eventually(
      async () => betaSocket.messages,
      (messages) => messages.some((m) => m.app === "ws-probe" && m.type === "deploy.succeeded"),
      10_000,
    );
    acmeSocket.socket.close();
    betaSocket.socket.close();
    assert.ok(
      betaSocket.messages.some((m) => m.app === "ws-probe" && m.type === "deploy.succeeded"),
      "live events arrive",
    );
    assert.ok(
      betaSocket.messages.some((m) => m.type === "deploy.started" && m.app === "web"),
      "history comes first",
    );
    assert.ok(acmeSocket.messages.length > 0 && acmeSocket.messages.every((m) => m.tenant === "acme"), "a tenant sees only its own events");
    assert.ok(betaSocket.messages.every((m) => m.tenant === "beta"));

    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${daemon.port}/v1/events`, { headers: { Authorization: "Bearer mck_nope_nope" } });
      socket.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
      socket.on("open", () => resolve(101));
      socket.on("error", () => undefined);
    });
    assert.equal(refused, 401);
  });

  test("from the host, <app>.<tenant>.<domain> resolves to the ingress", async () => {
    const resolver = new Resolver({ timeout: 1000, tries: 2 });
    resolver.setServers([`127.0.0.1:${daemon.dnsPort}`]);
    assert.deepEqual(await resolver.resolve4("web.acme.localhost"), ["127.0.0.1"]);
  });

  test("Caddy killed with SIGKILL comes back with every route", async () => {
    const before = await daemon.childPid("caddy");
    process.kill(before, "SIGKILL");
    const back = await eventually(
      () =>
        Promise.all([
          curl(daemon.url("web", "acme")),
          curl(daemon.url("web", "beta")),
          curl(daemon.url("web", "acme", "https"), { cacert: caFile }),
        ]),
      (responses) => responses.every((r) => r.status === 200),
      10_000,
    );
    assert.deepEqual(
      back.map((r) => r.status),
      [200, 200, 200],
    );
    assert.notEqual(await daemon.childPid("caddy"), before);
    const status = await mc(["daemon", "status", "--json"], daemon.env);
    const health = json<{ health: { components: { ingress: { state: string; restarts: number; lastExit: { signal: string } } } } }>(
      status.stdout,
    ).health;
    assert.equal(health.components.ingress.state, "running");
    assert.equal(health.components.ingress.restarts, 1);
    assert.equal(health.components.ingress.lastExit.signal, "SIGKILL");
  });

  test("CoreDNS killed with SIGKILL comes back with every record", async () => {
    const acmeClient = await containerOf(daemon, "acme", "client");
    process.kill(await daemon.childPid("coredns"), "SIGKILL");
    const back = await eventually(
      () => nslookup(acmeClient, "web.acme.internal"),
      (result) => answers(result.output).length === 3,
      10_000,
    );
    assert.equal(answers(back.output).length, 3, back.output);
  });

  test("a restarted daemon rebuilds routes and records from state: none duplicated, none stale", async () => {
    await daemon.restart("SIGKILL");
    const config = JSON.parse(
      await new Promise<string>((resolve, reject) => {
        http
          .get(
            { socketPath: path.join(daemon.dir, "ingress", "admin.sock"), path: "/config/", setHost: false, headers: { Host: "" } },
            (response) => {
              let body = "";
              response.on("data", (chunk) => (body += chunk));
              response.on("end", () => resolve(body));
            },
          )
          .on("error", reject);
      }),
    ) as { apps: { http: { servers: { http: { routes: { match?: { host: string[] }[] }[] } } } } };
    const hosts = config.apps.http.servers.http.routes.flatMap((r) => r.match?.[0]?.host[0] ?? []);
    // The built-in registry's route (registry.<domain>) is the platform's own, next to the apps'.
    assert.deepEqual(hosts.sort(), [
      "flaky.acme.localhost",
      "raw.acme.localhost",
      "registry.localhost",
      "web.acme.localhost",
      "web.beta.localhost",
    ]);
    assert.equal((await curl(daemon.url("web", "acme"))).status, 200);
    const acmeClient = await containerOf(daemon, "acme", "client");
    assert.equal(answers((await nslookup(acmeClient, "web.acme.internal")).output).length, 3);
    assert.match((await nslookup(acmeClient, "brief.acme.internal")).output, /NXDOMAIN/);
  });
});

describe("networking start-up errors", () => {
  test("a missing Caddy binary is a clear error that names the setup step", async () => {
    const daemon = await TestDaemon.create();
    try {
      await assert.rejects(
        daemon.start({ MC_CADDY_BIN: "/nonexistent/caddy" }),
        /caddy was not found at \/nonexistent\/caddy.*scripts\/setup/,
      );
    } finally {
      await daemon.destroy();
    }
  });
});
