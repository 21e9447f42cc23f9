import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ApiError, type AppDomain, domainListSchema, domainSchema, type PlatformEvent } from "@minicloud/shared";
import type { z } from "zod";
import { IDLE_COMMAND, whoAmICommand } from "./harness/apps.ts";
import { freePort, TestDaemon } from "./harness/daemon.ts";
import { type CurlResult, curl, eventually } from "./harness/http.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE } from "./harness/paths.ts";
import { createTenant, deployVia, type TestTenant } from "./harness/tenant.ts";

function conforms<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  assert.ok(result.success, `${what} does not match its schema: ${result.success ? "" : JSON.stringify(result.error.issues)}`);
  return result.data;
}

describe("custom domains: mc domains add|list|remove, routed by the ingress like the app's own host", () => {
  let daemon: TestDaemon;
  let acme: TestTenant;
  let beta: TestTenant;
  let caFile: string;

  /** A request to the ingress for `host`, resolved to loopback by curl alone (no DNS, no hosts file). */
  function viaIngress(host: string, scheme: "http" | "https" = "http"): Promise<CurlResult> {
    const port = scheme === "http" ? daemon.httpPort : daemon.httpsPort;
    return curl(`${scheme}://${host}:${port}/`, {
      resolve: [`${host}:${port}:127.0.0.1`],
      ...(scheme === "https" ? { cacert: caFile } : {}),
    });
  }

  async function events(tenant: TestTenant): Promise<PlatformEvent[]> {
    const client = tenant.client();
    try {
      return await client.apps.events({ limit: 1000 });
    } finally {
      await client.close();
    }
  }

  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start();
    [acme, beta] = await Promise.all([createTenant(daemon, "acme"), createTenant(daemon, "beta")]);
    await Promise.all([
      deployVia(acme.client(), { name: "web", image: BASE_IMAGE, port: 8080, command: whoAmICommand("acme") }),
      deployVia(acme.client(), { name: "worker", image: BASE_IMAGE, command: IDLE_COMMAND }),
      deployVia(beta.client(), { name: "web", image: BASE_IMAGE, port: 8080, command: whoAmICommand("beta") }),
    ]);
    const ca = await mc(["ingress", "ca"], acme.env);
    assert.equal(ca.code, 0, ca.stderr);
    caFile = path.join(daemon.dir, "ingress-ca.pem");
    await writeFile(caFile, ca.stdout);
  });
  after(async () => {
    await daemon.destroy();
  });

  test("a custom domain reaches the app over HTTP and HTTPS, shows in status and list, survives a restart, and goes on remove", async () => {
    const added = await mc(["domains", "add", "web", "Shop.Example.Test.", "--json"], acme.env);
    assert.equal(added.code, 0, added.stderr);
    const domain = conforms(domainSchema, json(added.stdout), "POST /v1/domains");
    assert.deepEqual(
      [domain.hostname, domain.app, domain.tenant, domain.certificate],
      ["shop.example.test", "web", "acme", "internal"],
      "stored lowercase without the trailing dot; the ingress CA signs it (no ACME configured)",
    );
    assert.equal(domain.url, `http://shop.example.test:${daemon.httpPort}`);
    assert.equal(domain.httpsUrl, `https://shop.example.test:${daemon.httpsPort}`);

    const plain = await viaIngress("shop.example.test");
    assert.equal(plain.status, 200, "routed before `mc domains add` returned");
    assert.match(plain.body, /^acme /);
    // Caddy obtains the certificate from its CA right after the config load.
    const secure = await eventually(
      () => viaIngress("shop.example.test", "https"),
      (r) => r.status === 200,
    );
    assert.equal(secure.status, 200, "HTTPS verifies against `mc ingress ca`");
    assert.match(secure.body, /^acme /);
    assert.equal((await curl(daemon.url("web", "acme"))).status, 200, "the app's own host still answers");

    const status = await mc(["status", "web", "--json"], acme.env);
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(json<{ domains: AppDomain[] }>(status.stdout).domains, [
      { hostname: "shop.example.test", url: domain.url, httpsUrl: domain.httpsUrl, certificate: "internal" },
    ]);
    const human = await mc(["status", "web"], acme.env);
    assert.match(
      human.stdout,
      new RegExp(`domain http://shop\\.example\\.test:${daemon.httpPort}  https://shop\\.example\\.test:${daemon.httpsPort}`),
    );

    const listed = await mc(["domains", "list", "--json"], acme.env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      conforms(domainListSchema, json(listed.stdout), "GET /v1/domains").domains.map((d) => d.hostname),
      ["shop.example.test"],
    );
    const table = await mc(["domains", "list", "web"], acme.env);
    assert.match(table.stdout, /^HOST\s+APP\s+CERTIFICATE/);
    assert.match(table.stdout, /shop\.example\.test\s+web\s+ingress CA/);
    const again = await mc(["domains", "add", "web", "shop.example.test"], acme.env);
    assert.equal(again.code, 0, `adding it again changes nothing: ${again.stderr}`);

    await daemon.restart();
    assert.equal((await viaIngress("shop.example.test")).status, 200, "persisted: routed again by the next daemon");

    const removed = await mc(["domains", "remove", "SHOP.example.test"], acme.env);
    assert.equal(removed.code, 0, removed.stderr);
    const gone = await viaIngress("shop.example.test");
    assert.equal(gone.status, 404);
    assert.match(gone.body, /No app answers at this address/, "our 404 page");
    assert.equal((await curl(daemon.url("web", "acme"))).status, 200);
    const types = (await events(acme)).map((e) => e.type);
    assert.ok(types.includes("domain.added") && types.includes("domain.removed"), types.join(", "));
  });

  test("bad host names are refused by mc before any request (exit 2), and by the daemon", async () => {
    for (const bad of ["*.example.test", "10.0.0.1", "localhost", "shop..example.test", "-shop.example.test", `${"a".repeat(64)}.test`]) {
      // `--`: a name starting with '-' is an argument, not a flag.
      const result = await mc(["domains", "add", "--json", "--", "web", bad], acme.env);
      assert.equal(result.code, 2, `${bad}: ${result.stderr}`);
      const error = errorOf(result);
      assert.equal(error.code, "invalid_input");
      assert.match(error.message, /invalid hostname/, bad);
    }
    const noDaemon = await mc(["domains", "add", "web", "*.example.test"], { ...acme.env, MC_HOST: "http://127.0.0.1:1" });
    assert.equal(noDaemon.code, 2, `checked without asking any daemon: ${noDaemon.stderr}`);
    const client = acme.client();
    try {
      await assert.rejects(
        client.domains.add({ app: "web", hostname: "*.example.test" }),
        (error: unknown) => error instanceof ApiError && error.code === "invalid_input" && /^hostname: wildcards/.test(error.message),
      );
    } finally {
      await client.close();
    }
  });

  test("refused with a reason: the platform's zones, an unknown app, a TCP app, another tenant's name (exit 1)", async () => {
    const refusals: [string[], string, RegExp][] = [
      [["web", "web.acme.localhost"], "conflict", /under localhost, the platform's own zone/],
      [["web", "db.acme.internal"], "conflict", /under internal, the platform's own zone/],
      [["nope", "nope.example.test"], "not_found", /app nope not found/],
      [["worker", "worker.example.test"], "conflict", /worker has no HTTP port/],
    ];
    for (const [args, code, message] of refusals) {
      const result = await mc(["domains", "add", ...args, "--json"], acme.env);
      assert.equal(result.code, 1, `${args.join(" ")}: ${result.stderr}`);
      assert.equal(errorOf(result).code, code, args.join(" "));
      assert.match(errorOf(result).message, message);
    }

    assert.equal((await mc(["domains", "add", "web", "owned.example.test"], acme.env)).code, 0);
    const taken = await mc(["domains", "add", "web", "owned.example.test", "--json"], beta.env);
    assert.equal(taken.code, 1);
    assert.deepEqual(
      errorOf(taken),
      { code: "conflict", message: "owned.example.test is already in use" },
      "which tenant has it is not said",
    );
    const notTheirs = await mc(["domains", "remove", "owned.example.test", "--json"], beta.env);
    assert.equal(notTheirs.code, 1);
    assert.equal(errorOf(notTheirs).code, "not_found", "another tenant's domain does not exist for beta");
    const betaList = await mc(["domains", "list", "--json"], beta.env);
    assert.deepEqual(json<{ domains: unknown[] }>(betaList.stdout).domains, []);
    const owner = await viaIngress("owned.example.test");
    assert.match(owner.body, /^acme /, "still acme's");
    assert.equal((await mc(["domains", "remove", "owned.example.test"], acme.env)).code, 0);
  });

  test("two tenants racing for one name: exactly one gets it, and the ingress sends it to that one's app", async () => {
    for (const hostname of ["race1.example.test", "race2.example.test", "race3.example.test"]) {
      const [forAcme, forBeta] = await Promise.all([
        mc(["domains", "add", "web", hostname, "--json"], acme.env),
        mc(["domains", "add", "web", hostname, "--json"], beta.env),
      ]);
      assert.deepEqual([forAcme.code, forBeta.code].sort(), [0, 1], `${hostname}: ${forAcme.stderr} ${forBeta.stderr}`);
      const [winner, loser] = forAcme.code === 0 ? [acme, forBeta] : [beta, forAcme];
      assert.deepEqual(errorOf(loser), { code: "conflict", message: `${hostname} is already in use` });
      const response = await viaIngress(hostname);
      assert.equal(response.status, 200);
      assert.match(response.body, new RegExp(`^${winner.name} `));
      assert.equal((await mc(["domains", "remove", hostname], winner.env)).code, 0);
    }
  });

  test("destroying an app removes its domains; deleting a tenant too (the names are free again)", async () => {
    const gamma = await createTenant(daemon, "gamma");
    const deployGamma = () => deployVia(gamma.client(), { name: "web", image: BASE_IMAGE, port: 8080, command: whoAmICommand("gamma") });
    await deployGamma();
    assert.equal((await mc(["domains", "add", "web", "gamma.example.test"], gamma.env)).code, 0);
    assert.match((await viaIngress("gamma.example.test")).body, /^gamma /);

    assert.equal((await mc(["apps", "destroy", "web", "--yes"], gamma.env)).code, 0);
    assert.equal((await viaIngress("gamma.example.test")).status, 404);
    assert.deepEqual(json<{ domains: unknown[] }>((await mc(["domains", "list", "--json"], gamma.env)).stdout).domains, []);
    const types = (await events(gamma)).map((e) => e.type);
    assert.ok(types.includes("domain.removed"), types.join(", "));
    await deployGamma();
    assert.equal(
      json<{ domains: unknown[] }>((await mc(["status", "web", "--json"], gamma.env)).stdout).domains.length,
      0,
      "a new app of the same name does not inherit it",
    );

    assert.equal((await mc(["domains", "add", "web", "gamma.example.test"], gamma.env)).code, 0);
    const deleted = await mc(["tenants", "delete", "gamma", "--yes"], daemon.env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await viaIngress("gamma.example.test")).status, 404);
    const claimed = await mc(["domains", "add", "web", "gamma.example.test"], beta.env);
    assert.equal(claimed.code, 0, `free again after the tenant went: ${claimed.stderr}`);
    assert.match((await viaIngress("gamma.example.test")).body, /^beta /);
    assert.equal((await mc(["domains", "remove", "gamma.example.test"], beta.env)).code, 0);
  });
});

describe("custom domains with ACME on (MC_ACME_EMAIL): public names go to the ACME CA, private ones stay on the ingress CA", () => {
  let daemon: TestDaemon;
  let caFile: string;

  before(async () => {
    daemon = await TestDaemon.create();
    // An ACME directory on a closed loopback port: the policy is real, no request leaves the machine.
    await daemon.start({ MC_ACME_EMAIL: "ops@example.com", MC_ACME_CA: `https://127.0.0.1:${await freePort()}/directory` });
    await deployVia(daemon.client(), { name: "web", image: BASE_IMAGE, port: 8080, command: whoAmICommand("acme-on") });
    const ca = await mc(["ingress", "ca"], daemon.env);
    caFile = path.join(daemon.dir, "ingress-ca.pem");
    await writeFile(caFile, ca.stdout);
  });
  after(async () => {
    await daemon.destroy();
  });

  test("each name is told its issuer; Caddy takes the mixed policies; private names keep HTTPS from the ingress CA", async () => {
    const added = [];
    for (const hostname of ["shop.minicloud-test.io", "shop.example.test"]) {
      const result = await mc(["domains", "add", "web", hostname, "--json"], daemon.env);
      assert.equal(result.code, 0, result.stderr);
      added.push(json<{ hostname: string; certificate: string }>(result.stdout));
    }
    assert.deepEqual(
      added.map((d) => [d.hostname, d.certificate]),
      [
        ["shop.minicloud-test.io", "acme"],
        ["shop.example.test", "internal"],
      ],
    );
    const table = await mc(["domains", "list"], daemon.env);
    assert.match(table.stdout, /shop\.minicloud-test\.io\s+web\s+ACME/);
    assert.match(table.stdout, /shop\.example\.test\s+web\s+ingress CA/);

    const at = (host: string, scheme: "http" | "https") => {
      const port = scheme === "http" ? daemon.httpPort : daemon.httpsPort;
      return curl(`${scheme}://${host}:${port}/`, { resolve: [`${host}:${port}:127.0.0.1`], cacert: caFile });
    };
    assert.match((await at("shop.minicloud-test.io", "http")).body, /^acme-on /, "plain HTTP serves while the certificate is pending");
    const internal = await eventually(
      () => at("shop.example.test", "https"),
      (r) => r.status === 200,
    );
    assert.match(internal.body, /^acme-on /, "the ingress CA signs the private name");
    const platform = await eventually(
      () => curl(daemon.url("web", "default", "https"), { cacert: caFile }),
      (r) => r.status === 200,
    );
    assert.match(platform.body, /^acme-on /, "the platform's own host keeps the ingress CA");
    assert.equal((await at("shop.minicloud-test.io", "https")).status, 0, "no ACME CA answered, so no certificate: no handshake");
  });
});
