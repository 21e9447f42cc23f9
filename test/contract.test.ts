import assert from "node:assert/strict";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import {
  ApiError,
  appListSchema,
  appSchema,
  auditEntrySchema,
  auditVerifySchema,
  createdKeySchema,
  daemonSettingsSchema,
  eventListSchema,
  healthSchema,
  ingressCaSchema,
  keyListSchema,
  problemSchema,
  quotaSchema,
  releaseListSchema,
  tenantCreatedSchema,
  tenantListSchema,
  tenantSchema,
  whoamiSchema,
} from "@minicloud/shared";
import type { MinicloudClient } from "@minicloud/shared/client";
import type { z } from "zod";
import { TestDaemon } from "./harness/daemon.ts";
import { SAMPLE_IMAGE } from "./harness/paths.ts";
import { createTenant, type TestTenant } from "./harness/tenant.ts";

/**
 * The client types the daemon's answers without re-validating them (start-up time), so this file is
 * where the contract is checked: every kind of answer, parsed strictly enough by the shared schemas.
 */
function conforms<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  assert.ok(result.success, `${what} does not match its schema: ${result.success ? "" : JSON.stringify(result.error.issues)}`);
  return result.data;
}

/** Every line of a finite NDJSON answer. */
async function ndjson(stream: Readable): Promise<unknown[]> {
  const lines: unknown[] = [];
  for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line) lines.push(JSON.parse(line));
  }
  return lines;
}

describe("contract: every answer of the API matches the shared schemas", () => {
  let daemon: TestDaemon;
  let admin: MinicloudClient;
  let acme: TestTenant;
  let tenant: MinicloudClient;
  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start();
    admin = daemon.client();
    acme = await createTenant(daemon, "acme");
    tenant = acme.client();
  });
  after(async () => {
    await tenant.close();
    await admin.close();
    await daemon.destroy();
  });

  test("system, tenants, keys, quota and audit answers", async () => {
    conforms(healthSchema, await admin.health(), "GET /healthz");
    conforms(whoamiSchema, await tenant.whoami(), "GET /v1/whoami");
    conforms(ingressCaSchema, await admin.ingressCa(), "GET /v1/ingress/ca");
    conforms(daemonSettingsSchema, await admin.daemonSettings(), "GET /v1/system/settings");
    await assert.rejects(tenant.daemonSettings(), (error: unknown) => error instanceof ApiError && error.code === "forbidden");
    conforms(tenantCreatedSchema, await admin.tenants.create({ name: "beta" }), "POST /v1/tenants");
    const tenants = conforms(tenantListSchema, { tenants: await admin.tenants.list() }, "GET /v1/tenants");
    assert.deepEqual(tenants.tenants.map((t) => t.name).sort(), ["acme", "beta", "default"]);
    conforms(tenantSchema, await admin.tenants.get("acme"), "GET /v1/tenants/:name");
    conforms(tenantSchema, await admin.tenants.setQuota("beta", { maxInstances: 3 }), "PUT /v1/tenants/:name/quota");
    const key = conforms(createdKeySchema, await tenant.account.createKey({ name: "ci" }), "POST /v1/keys");
    conforms(keyListSchema, { keys: await tenant.account.listKeys() }, "GET /v1/keys");
    await tenant.account.revokeKey(key.id);
    conforms(quotaSchema, await tenant.account.quota(), "GET /v1/quota");
    conforms(auditVerifySchema, await admin.account.verifyAudit(), "GET /v1/audit/verify");
    const entries = await ndjson(await admin.account.audit({ allTenants: true }));
    assert.ok(entries.length > 0, "the audit log has entries");
    for (const entry of entries) conforms(auditEntrySchema, entry, "GET /v1/audit line");
  });

  test("app answers: deploy, list, get, scale, actions, releases, rollback, events", async () => {
    const deployed = conforms(appSchema, await tenant.apps.deploy({ name: "web", image: SAMPLE_IMAGE, port: 8080 }), "POST /v1/apps");
    assert.equal(deployed.release, 1);
    conforms(appSchema, await tenant.apps.deploy({ name: "web", image: SAMPLE_IMAGE, port: 8080 }), "POST /v1/apps (release 2)");
    const list = conforms(appListSchema, await tenant.apps.list(), "GET /v1/apps");
    assert.deepEqual(
      list.apps.map((a) => a.name),
      ["web"],
    );
    conforms(appSchema, await tenant.apps.get("web"), "GET /v1/apps/:name");
    conforms(appSchema, await tenant.apps.scale("web", { count: 2 }), "POST /v1/apps/:name/scale");
    conforms(appSchema, await tenant.apps.action("web", "stop"), "POST /v1/apps/:name/stop");
    conforms(appSchema, await tenant.apps.action("web", "start"), "POST /v1/apps/:name/start");
    const releases = conforms(releaseListSchema, { releases: await tenant.apps.releases("web") }, "GET /v1/apps/:name/releases");
    assert.equal(releases.releases.length, 2);
    conforms(appSchema, await tenant.apps.rollback("web", 1), "POST /v1/apps/:name/rollback");
    const events = conforms(eventListSchema, { events: await tenant.apps.events({ app: "web" }) }, "GET /v1/events");
    assert.ok(events.events.some((e) => e.type === "deploy.succeeded"));
    await tenant.apps.destroy("web");
  });

  test("errors are problem+json with a stable code", async () => {
    const response = await fetch(`${daemon.tcpUrl}/v1/apps/nope`, { headers: { authorization: `Bearer ${acme.key}` } });
    assert.equal(response.status, 404);
    assert.match(response.headers.get("content-type") ?? "", /application\/problem\+json/);
    assert.equal(conforms(problemSchema, await response.json(), "404 body").code, "not_found");
    await assert.rejects(tenant.apps.get("nope"), (error: unknown) => error instanceof ApiError && error.code === "not_found");
  });
});
