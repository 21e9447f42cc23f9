import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { IDLE_COMMAND, whoAmICommand } from "./harness/apps.ts";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf, docker, execIn, networksOf } from "./harness/docker.ts";
import { json, mc } from "./harness/mc.ts";
import { BASE_IMAGE } from "./harness/paths.ts";
import { createTenant } from "./harness/tenant.ts";

const run = promisify(execFile);

/** What `iptables -S` shows of one chain ("" when it does not exist). */
async function chainListing(chain: string): Promise<string> {
  return run("iptables", ["-w", "-S", chain]).then(
    (r) => r.stdout,
    () => "",
  );
}

async function jumpsTo(chain: string): Promise<number> {
  const { stdout } = await run("iptables", ["-w", "-S", "INPUT"]);
  return stdout.split("\n").filter((line) => line.trim() === `-A INPUT -j ${chain}`).length;
}

/** Removes the chain whatever happened (the daemon's own removal is what the tests check). */
async function removeChain(chain: string): Promise<void> {
  while ((await jumpsTo(chain).catch(() => 0)) > 0) await run("iptables", ["-w", "-D", "INPUT", "-j", chain]);
  await run("iptables", ["-w", "-F", chain]).catch(() => undefined);
  await run("iptables", ["-w", "-X", chain]).catch(() => undefined);
}

describe("host firewall: tenant networks reach only their DNS and the ingress on the host", () => {
  let daemon: TestDaemon;
  let chain: string;
  let hostServer: net.Server;
  let hostPort: number;
  let gateway: string;
  let dockerBridge: string;
  let clientId: string;
  /** The admin over the socket, acting in tenant acme. */
  let env: NodeJS.ProcessEnv;

  /** `nc` from inside acme's client app through `mc exec`: exit 0 when the TCP connection opens. */
  async function connectFromTenant(address: string, port: number): Promise<{ code: number; output: string }> {
    const result = await mc(["exec", "client", "--", "sh", "-c", `nc -w 2 ${address} ${port} </dev/null`], env);
    return { code: result.code, output: result.stdout + result.stderr };
  }

  function assertRefused(result: { code: number; output: string }, what: string): void {
    assert.notEqual(result.code, 0, `${what} must be refused: ${result.output}`);
    assert.match(result.output, /Connection refused/, what);
  }

  before(async () => {
    // A host service on every address: what a tenant must not reach.
    hostServer = net.createServer((socket) => socket.end("host service\n"));
    await new Promise<void>((resolve) => hostServer.listen(0, "0.0.0.0", resolve));
    hostPort = (hostServer.address() as net.AddressInfo).port;
    // The API on every address too, so reaching it from a tenant is possible without the firewall.
    daemon = await TestDaemon.create({ listenHost: "0.0.0.0" });
    chain = `MC-${daemon.prefix}-INPUT`;
    await daemon.start();
    await createTenant(daemon, "acme");
    env = { ...daemon.env, MC_TENANT: "acme" };
    const client = daemon.client("acme");
    try {
      await Promise.all([
        client.apps.deploy({ name: "web", image: BASE_IMAGE, port: 8080, command: whoAmICommand("acme") }),
        client.apps.deploy({ name: "client", image: BASE_IMAGE, command: IDLE_COMMAND }),
      ]);
    } finally {
      await client.close();
    }
    const [network] = await networksOf(daemon.prefix);
    assert.ok(network, "acme's network");
    gateway = (await docker.getNetwork(network.Id).inspect()).IPAM?.Config?.[0]?.Gateway ?? "";
    dockerBridge = (await docker.getNetwork("bridge").inspect()).IPAM?.Config?.[0]?.Gateway ?? "";
    assert.match(gateway, /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(dockerBridge, /^\d+\.\d+\.\d+\.\d+$/);
    const [container] = await containersOf(daemon.prefix, ["minicloud.tenant=acme", "minicloud.app=client"]);
    assert.ok(container, "acme's client container");
    clientId = container.Id;
  });
  after(async () => {
    await daemon?.destroy();
    if (chain) await removeChain(chain);
    hostServer?.close();
  });

  test("the daemon reports the firewall active and installed one jump to its own chain", async () => {
    const status = await mc(["daemon", "status", "--json"], daemon.env);
    assert.equal(json<{ health: { hostFirewall: string } }>(status.stdout).health.hostFirewall, "active");
    assert.equal(await jumpsTo(chain), 1);
    assert.match(await chainListing(chain), /-j REJECT --reject-with icmp-port-unreachable/);
  });

  test("host services are refused through the tenant gateway and docker0's address", async () => {
    assertRefused(await connectFromTenant(gateway, hostPort), "a host service via the gateway");
    assertRefused(await connectFromTenant(dockerBridge, hostPort), "a host service via docker0");
    assertRefused(await connectFromTenant(gateway, daemon.port), "the daemon's API via the gateway");
  });

  test("the ingress answers apps' public URLs through the host (allowed by design)", async () => {
    const script = `wget -q -O- --header "Host: web.acme.localhost" http://${gateway}:${daemon.httpPort}/`;
    const result = await mc(["exec", "client", "--", "sh", "-c", script], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^acme /);
  });

  test("tenant DNS and the tenant's other containers stay reachable", async () => {
    const lookup = await mc(["exec", "client", "--", "nslookup", "web.acme.internal"], env);
    assert.equal(lookup.code, 0, lookup.stdout + lookup.stderr);
    assert.match(lookup.stdout, /Name:\s+web\.acme\.internal/);
    const direct = await mc(["exec", "client", "--", "wget", "-q", "-O-", "http://web.acme.internal:8080/"], env);
    assert.equal(direct.code, 0, direct.stderr);
    assert.match(direct.stdout, /^acme /);
  });

  test("a daemon killed with SIGKILL and started again restores the rules once, not twice", async () => {
    await daemon.restart("SIGKILL");
    assert.equal(await jumpsTo(chain), 1);
    assert.equal((await chainListing(chain)).match(/-j REJECT/g)?.length, 1, "one network, one reject rule");
    assertRefused(await connectFromTenant(gateway, hostPort), "a host service via the gateway after a restart");
  });

  test("mc daemon stop --all removes the rules (and the host service is reachable again)", async () => {
    const stopped = await mc(["daemon", "stop", "--all", "--json"], daemon.env);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(json<{ firewallChain: string | null }>(stopped.stdout).firewallChain, chain);
    assert.equal(await jumpsTo(chain), 0);
    assert.equal(await chainListing(chain), "");
    // The app's container outlives the daemon: without the rules, what was refused connects.
    const open = await execIn(clientId, ["sh", "-c", `nc -w 2 ${gateway} ${hostPort} </dev/null`]);
    assert.equal(open.code, 0, open.output);
    assert.match(open.output, /host service/);
  });
});
