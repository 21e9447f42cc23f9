import assert from "node:assert/strict";
import { appendFile, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { json, mc } from "./harness/mc.ts";
import { SAMPLE_IMAGE } from "./harness/paths.ts";
import { createTenant, type TestTenant } from "./harness/tenant.ts";

describe("API guards: body limits, raw options, rate limits, audit log, OpenAPI", () => {
  let daemon: TestDaemon;
  let acme: TestTenant;
  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start({ MC_RATE_LIMIT: "30" });
    acme = await createTenant(daemon, "acme");
  });
  after(() => daemon.destroy());

  const post = (body: string | object, key = acme.key) =>
    fetch(`${daemon.tcpUrl}/v1/apps`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  test("a 10 MB body is refused with 413 before it is parsed", async () => {
    const response = await post(JSON.stringify({ name: "big", image: "x", padding: "x".repeat(10 * 1024 * 1024) }));
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { code: string }).code, "payload_too_large");
  });

  test("raw Docker options in a body are rejected, naming the field", async () => {
    for (const smuggled of [{ Privileged: true }, { Binds: ["/:/host"] }, { NetworkMode: "host" }, { CapAdd: ["NET_ADMIN"] }]) {
      const response = await post({ name: "sneaky", image: SAMPLE_IMAGE, port: 8080, ...smuggled });
      assert.equal(response.status, 400, JSON.stringify(smuggled));
      const problem = (await response.json()) as { code: string; detail: string };
      assert.equal(problem.code, "invalid_input");
      assert.match(problem.detail, new RegExp(Object.keys(smuggled)[0] ?? ""));
    }
    const broken = await post("{not json");
    assert.equal(broken.status, 400);
  });

  test("the OpenAPI document is generated from the shared schemas", async () => {
    const response = await fetch(`${daemon.tcpUrl}/v1/openapi.json`);
    assert.equal(response.status, 200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; additionalProperties: boolean } }> } }
        >
      >;
    };
    assert.equal(doc.openapi, "3.1.0");
    for (const route of ["/v1/apps", "/v1/tenants", "/v1/keys", "/v1/quota", "/v1/audit", "/v1/apps/{name}/logs"])
      assert.ok(doc.paths[route], route);
    const deploy = doc.paths["/v1/apps"]?.post?.requestBody?.content["application/json"]?.schema;
    assert.ok(deploy?.properties.name && deploy.properties.memory && deploy.properties.healthPath);
    assert.equal(deploy?.additionalProperties, false);
  });

  test("every mutating call and every auth failure is audited, hash-chained; verify catches edits and removals", async () => {
    await fetch(`${daemon.tcpUrl}/v1/apps`, {
      headers: { authorization: "Bearer mck_abcdefgh_forgedforgedforgedforgedforgedforgedforged1" },
    });
    await mc(["keys", "create", "--name", "audited"], acme.env);

    const all = await mc(["audit", "--json"], daemon.env);
    assert.equal(all.code, 0, all.stderr);
    const entries = all.stdout
      .trim()
      .split("\n")
      .map((l) =>
        json<{
          seq: number;
          action: string;
          tenant: string | null;
          actor: { role: string; keyId: string | null };
          outcome: { status: number };
        }>(l),
      );
    assert.ok(entries.some((e) => e.action === "POST /v1/tenants" && e.outcome.status === 201));
    assert.ok(entries.some((e) => e.actor.role === "anonymous" && e.outcome.status === 401 && e.actor.keyId === "abcdefgh"));
    assert.ok(entries.some((e) => e.action === "POST /v1/apps" && e.outcome.status === 413));
    assert.ok(entries.some((e) => e.action === "POST /v1/keys" && e.tenant === "acme"));
    assert.deepEqual(
      entries.map((e) => e.seq),
      entries.map((_, i) => i + 1),
    );

    const own = await mc(["audit", "--json"], acme.env);
    const ownEntries = own.stdout
      .trim()
      .split("\n")
      .map((l) => json<{ tenant: string }>(l));
    assert.ok(ownEntries.length > 0 && ownEntries.every((e) => e.tenant === "acme"), "a tenant reads only its own entries");
    assert.equal((await mc(["audit", "verify"], acme.env)).code, 1, "verify is admin only");

    const ok = await mc(["audit", "verify", "--json"], daemon.env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(json<{ ok: boolean }>(ok.stdout).ok, true);

    const file = path.join(daemon.dir, "audit.log");
    const original = await readFile(file, "utf8");
    await writeFile(file, original.replace('"status":401', '"status":200'));
    const edited = await mc(["audit", "verify", "--json"], daemon.env);
    assert.equal(edited.code, 1);
    assert.match(json<{ reason: string }>(edited.stdout).reason, /modified/);

    const lines = original.trim().split("\n");
    await writeFile(file, `${[...lines.slice(0, 1), ...lines.slice(2)].join("\n")}\n`);
    const removed = await mc(["audit", "verify", "--json"], daemon.env);
    assert.equal(removed.code, 1);
    assert.match(json<{ reason: string }>(removed.stdout).reason, /missing/);

    await writeFile(file, `${lines.slice(0, -1).join("\n")}\n`);
    const truncated = await mc(["audit", "verify", "--json"], daemon.env);
    assert.equal(truncated.code, 1, "removing the newest entry is caught by the head record");
    await writeFile(file, original);
    await appendFile(file, "");
  });

  test("rate limits per key: 429 with Retry-After and RateLimit headers; other keys unaffected", async () => {
    const other = await createTenant(daemon, "other");
    let limited: Response | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const response = await fetch(`${daemon.tcpUrl}/v1/apps`, { headers: { authorization: `Bearer ${acme.key}` } });
      assert.ok(response.headers.get("ratelimit-limit"), "RateLimit headers on every keyed response");
      if (response.status === 429) limited = response;
      else await response.arrayBuffer();
    }
    assert.ok(limited, "the limit of 30 per minute is enforced");
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    assert.equal(limited.headers.get("ratelimit-remaining"), "0");
    assert.equal(((await limited.json()) as { code: string }).code, "rate_limited");
    const otherKey = await fetch(`${daemon.tcpUrl}/v1/apps`, { headers: { authorization: `Bearer ${other.key}` } });
    assert.equal(otherKey.status, 200);
  });
});
