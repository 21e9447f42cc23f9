import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { ApiError } from "@minicloud/shared";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf, docker, networksOf } from "./harness/docker.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE, SAMPLE_IMAGE } from "./harness/paths.ts";
import { createTenant, type TestTenant } from "./harness/tenant.ts";

const SLEEPER = ["sh", "-c", "exec sleep 3600"];

async function containerOf(prefix: string, tenant: string, app: string) {
  const [summary] = await containersOf(prefix, [`minicloud.tenant=${tenant}`, `minicloud.app=${app}`]);
  assert.ok(summary, `a container for ${tenant}/${app}`);
  return docker.getContainer(summary.Id);
}

async function ipOf(prefix: string, tenant: string, app: string): Promise<string> {
  const info = await (await containerOf(prefix, tenant, app)).inspect();
  const ip = info.NetworkSettings.Networks[`${prefix}_${tenant}`]?.IPAddress;
  assert.ok(ip);
  return ip;
}

/**
 * An HTTP GET from inside a container with busybox nc (busybox wget crashes under this engine's
 * default seccomp profile on bridge networks; nc does not).
 */
function httpGet(ip: string, port: number): string[] {
  return ["sh", "-c", `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port}`];
}

/** Runs a command inside a tenant's container and returns its exit code and output. */
async function execIn(prefix: string, tenant: string, app: string, cmd: string[]): Promise<{ code: number; output: string }> {
  const container = await containerOf(prefix, tenant, app);
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  let output = "";
  stream.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  await new Promise((resolve) => stream.on("end", resolve));
  return { code: (await exec.inspect()).ExitCode ?? -1, output };
}

describe("tenants: isolation, scoping and keys", () => {
  let daemon: TestDaemon;
  let acme: TestTenant;
  let globex: TestTenant;
  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start();
    acme = await createTenant(daemon, "acme");
    globex = await createTenant(daemon, "globex");
  });
  after(() => daemon.destroy());

  test("bad tenant names are rejected before any request", async () => {
    for (const name of ["Acme", "a.b", "a/b", "x".repeat(64)]) {
      const result = await mc(["tenants", "create", name, "--json"], daemon.env);
      assert.equal(result.code, 2, name);
    }
  });

  test("each tenant gets its own network; containers of two tenants cannot reach each other", async () => {
    const acmeClient = acme.client();
    const globexClient = globex.client();
    try {
      await acmeClient.apps.deploy({ name: "web", image: SAMPLE_IMAGE, port: 8080 });
      await globexClient.apps.deploy({ name: "web", image: SAMPLE_IMAGE, port: 8080 });
      await globexClient.apps.deploy({ name: "probe", image: BASE_IMAGE, command: SLEEPER });
    } finally {
      await acmeClient.close();
      await globexClient.close();
    }
    const networks = (await networksOf(daemon.prefix)).map((n) => n.Name).sort();
    assert.deepEqual(networks, [`${daemon.prefix}_acme`, `${daemon.prefix}_globex`]);

    const own = await execIn(daemon.prefix, "globex", "probe", httpGet(await ipOf(daemon.prefix, "globex", "web"), 8080));
    assert.equal(own.code, 0, `same tenant reaches its app: ${own.output}`);
    assert.match(own.output, /hello from minicloud/);

    const other = await execIn(daemon.prefix, "globex", "probe", httpGet(await ipOf(daemon.prefix, "acme", "web"), 8080));
    assert.doesNotMatch(other.output, /hello from minicloud/, "another tenant's container is unreachable by IP");

    const acmeName = (await (await containerOf(daemon.prefix, "acme", "web")).inspect()).Name.slice(1);
    const byName = await execIn(daemon.prefix, "globex", "probe", ["nslookup", acmeName]);
    assert.notEqual(byName.code, 0, "another tenant's container is not resolvable by name");
  });

  test("a tenant key sees only its tenant: another tenant's app is 404 by name and by instance id", async () => {
    const list = json<{ apps: { name: string; tenant: string }[] }>((await mc(["apps", "list", "--json"], acme.env)).stdout);
    assert.deepEqual(
      list.apps.map((a) => `${a.tenant}/${a.name}`),
      ["acme/web"],
    );

    const globexProbe = json<{ instances: { id: string }[] }>((await mc(["status", "probe", "--json"], globex.env)).stdout);
    const acmeClient = acme.client();
    try {
      await assert.rejects(acmeClient.apps.get("probe"), (e: ApiError) => e.code === "not_found");
      await assert.rejects(acmeClient.apps.destroy("probe"), (e: ApiError) => e.code === "not_found");
      const instanceId = globexProbe.instances[0]?.id ?? "";
      const response = await fetch(`${daemon.tcpUrl}/v1/instances/${instanceId}`, { headers: { authorization: `Bearer ${acme.key}` } });
      assert.equal(response.status, 404);
      const own = await fetch(`${daemon.tcpUrl}/v1/instances/${instanceId}`, { headers: { authorization: `Bearer ${globex.key}` } });
      assert.equal(own.status, 200);
      // ?tenant= does not let a tenant key out of its tenant.
      const smuggled = await fetch(`${daemon.tcpUrl}/v1/apps/probe?tenant=globex`, { headers: { authorization: `Bearer ${acme.key}` } });
      assert.equal(smuggled.status, 404);
    } finally {
      await acmeClient.close();
    }
    const adminOnly = await mc(["tenants", "list", "--json"], acme.env);
    assert.equal(adminOnly.code, 1);
    assert.equal(errorOf(adminOnly).code, "forbidden");
  });

  test("names stay unambiguous: tenant a-b + app c next to tenant a + app b-c", async () => {
    const ab = await createTenant(daemon, "a-b");
    const a = await createTenant(daemon, "a");
    assert.equal((await mc(["deploy", "c", "--image", SAMPLE_IMAGE, "--port", "8080"], ab.env)).code, 0);
    assert.equal((await mc(["deploy", "b-c", "--image", SAMPLE_IMAGE, "--port", "8080"], a.env)).code, 0);
    const first = await (await containerOf(daemon.prefix, "a-b", "c")).inspect();
    const second = await (await containerOf(daemon.prefix, "a", "b-c")).inspect();
    assert.notEqual(first.Name, second.Name);
    assert.notEqual(first.HostConfig.NetworkMode, second.HostConfig.NetworkMode);
  });

  test("several keys per tenant; a revoked key fails at once; forged and expired keys fail", async () => {
    const created = await mc(["keys", "create", "--name", "rotation", "--json"], acme.env);
    assert.equal(created.code, 0, created.stderr);
    const second = json<{ id: string; key: string }>(created.stdout);
    const list = json<{ keys: { id: string; name: string }[] }>((await mc(["keys", "list", "--json"], acme.env)).stdout);
    assert.equal(list.keys.length, 2);
    assert.ok(!JSON.stringify(list).includes(second.key), "key listings never contain keys");

    const stored = JSON.stringify(await daemon.persistedState());
    assert.ok(!stored.includes(acme.key) && !stored.includes(second.key), "keys are stored hashed only");

    const firstId = list.keys.find((k) => k.id !== second.id)?.id ?? "";
    assert.equal((await mc(["keys", "revoke", firstId], { ...acme.env, MC_API_KEY: second.key })).code, 0);
    const revoked = await mc(["apps", "list", "--json"], acme.env);
    assert.equal(revoked.code, 1);
    assert.match(errorOf(revoked).message, /revoked/);
    acme = { ...acme, key: second.key, env: { ...acme.env, MC_API_KEY: second.key }, client: acme.client };

    const forged = `mck_${second.id}_${"A".repeat(43)}`;
    assert.equal((await mc(["apps", "list"], { ...acme.env, MC_API_KEY: forged })).code, 1);

    const expiring = json<{ id: string; key: string }>(
      (await mc(["keys", "create", "--name", "short", "--expires-in-days", "1", "--json"], acme.env)).stdout,
    );
    assert.equal((await mc(["apps", "list"], { ...acme.env, MC_API_KEY: expiring.key })).code, 0);
    await daemon.stop();
    const state = JSON.parse(await readFile(path.join(daemon.dir, "state.json"), "utf8")) as {
      keys: { id: string; expiresAt: string | null }[];
    };
    for (const key of state.keys) if (key.id === expiring.id) key.expiresAt = new Date(Date.now() - 1000).toISOString();
    await writeFile(path.join(daemon.dir, "state.json"), JSON.stringify(state));
    await daemon.start();
    const expired = await mc(["apps", "list", "--json"], { ...acme.env, MC_API_KEY: expiring.key });
    assert.equal(expired.code, 1);
    assert.match(errorOf(expired).message, /expired/);
  });

  test("an image built for one tenant cannot be run by another", async () => {
    const image = `${daemon.prefix}-images/globex/web:1`;
    const build = spawnSync(
      "docker",
      ["build", "-q", "-t", image, "--label", `minicloud.prefix=${daemon.prefix}`, "--label", "minicloud.tenant=globex", "-"],
      {
        input: `FROM ${SAMPLE_IMAGE}\n`,
      },
    );
    assert.equal(build.status, 0, String(build.stderr));
    const stolen = await mc(["deploy", "thief", "--image", image, "--port", "8080", "--json"], acme.env);
    assert.equal(stolen.code, 2);
    assert.match(errorOf(stolen).message, /was not found on the engine/, "answered like a missing image");
    const owned = await mc(["deploy", "own", "--image", image, "--port", "8080"], globex.env);
    assert.equal(owned.code, 0, owned.stderr);
  });

  test("deleting a tenant removes its containers, network and keys, and leaves others alone", async () => {
    const refused = await mc(["tenants", "delete", "globex"], daemon.env);
    assert.equal(refused.code, 2, "no prompt without a TTY: --yes is required");
    const result = await mc(["tenants", "delete", "globex", "--yes", "--json"], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await containersOf(daemon.prefix, ["minicloud.tenant=globex"])).length, 0);
    assert.ok(!(await networksOf(daemon.prefix)).some((n) => n.Name === `${daemon.prefix}_globex`));
    assert.equal((await mc(["apps", "list"], globex.env)).code, 1, "the tenant's keys are gone");
    const images = await docker.listImages({ filters: { label: [`minicloud.prefix=${daemon.prefix}`, "minicloud.tenant=globex"] } });
    assert.equal(images.length, 0, "the tenant's images are gone");
    assert.equal((await containersOf(daemon.prefix, ["minicloud.tenant=acme"])).length, 1, "other tenants are untouched");
    const shown = await mc(["tenants", "show", "globex", "--json"], daemon.env);
    assert.equal(errorOf(shown).code, "not_found");
  });
});
