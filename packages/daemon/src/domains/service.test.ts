import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { ApiError, type EventType } from "@minicloud/shared";
import pino from "pino";
import { EventBus } from "../events/bus.ts";
import type { AppRecord } from "../store/schema.ts";
import { Store } from "../store/store.ts";
import { type DomainNetworking, DomainService } from "./service.ts";

let dir: string;
let store: Store;
let events: EventBus;
let published: number;
let service: DomainService;

/** The networking side, minus Caddy: counts publishes, builds URLs like the daemon does. */
const networking: DomainNetworking = {
  publish: async () => {
    published++;
  },
  hostUrls: (host) => ({ http: `http://${host}:8080`, https: `https://${host}:8443` }),
  certificateOf: () => "internal",
};

function app(tenant: string, name: string, overrides: Partial<AppRecord["spec"]> = {}, phase: AppRecord["phase"] = "ready"): AppRecord {
  return {
    tenant,
    name,
    spec: { name, image: "img", port: 8080, count: 1, memory: 1, cpus: 1, env: {}, healthPath: "/", readOnlyRootfs: true, ...overrides },
    desired: "running",
    phase,
    instances: [],
    release: 1,
    releases: [],
    createdAt: "",
    updatedAt: "",
  };
}

function rejectsWith(promise: Promise<unknown>, code: ApiError["code"], message: RegExp) {
  return assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ApiError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

function typesOf(tenant: string): EventType[] {
  return events.history({ tenant, limit: 100 }).map((e) => e.type);
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "mcd-domains-"));
  store = await Store.open(dir);
  events = await EventBus.open(dir, pino({ level: "silent" }));
  published = 0;
  await store.update((state) => {
    state.apps.push(app("acme", "web"), app("acme", "api"), app("acme", "db", { port: undefined }), app("beta", "web"));
    state.apps.push(app("acme", "fresh", {}, "deploying"), app("acme", "pg", { port: 5432, protocol: "tcp" }));
  });
  service = new DomainService({ store, events, networking, domain: "cloud.local", maxPerTenant: 3 });
});
afterEach(async () => {
  // The event bus appends to events.log without being awaited: a write may land while rm runs.
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

test("an added domain is stored, published, announced and listed with its URLs", async () => {
  const { domain, created } = await service.add("acme", { app: "web", hostname: "shop.example.com" });
  assert.equal(created, true);
  assert.deepEqual(
    { ...domain, createdAt: "" },
    {
      hostname: "shop.example.com",
      app: "web",
      tenant: "acme",
      url: "http://shop.example.com:8080",
      httpsUrl: "https://shop.example.com:8443",
      certificate: "internal",
      createdAt: "",
    },
  );
  assert.equal(published, 1, "the route is pushed before add returns");
  assert.deepEqual(typesOf("acme"), ["domain.added"]);
  assert.deepEqual(
    service.list("acme").map((d) => d.hostname),
    ["shop.example.com"],
  );
  assert.deepEqual(service.list("beta"), [], "another tenant does not see it");
  assert.deepEqual(
    service.ofApp("acme", "web").map((d) => d.hostname),
    ["shop.example.com"],
  );
  const reopened = await Store.open(dir);
  assert.deepEqual(
    reopened.state.domains.map((d) => [d.hostname, d.tenant, d.app]),
    [["shop.example.com", "acme", "web"]],
    "persisted",
  );
});

test("adding the same name to the same app again changes nothing", async () => {
  await service.add("acme", { app: "web", hostname: "shop.example.com" });
  const again = await service.add("acme", { app: "web", hostname: "shop.example.com" });
  assert.equal(again.created, false);
  assert.equal(store.state.domains.length, 1);
  assert.deepEqual(typesOf("acme"), ["domain.added"], "announced once");
});

test("a name belongs to one app: another app of the tenant is told which; another tenant is not told whose", async () => {
  await service.add("acme", { app: "web", hostname: "shop.example.com" });
  await rejectsWith(service.add("acme", { app: "api", hostname: "shop.example.com" }), "conflict", /already routes to app web/);
  await rejectsWith(
    service.add("beta", { app: "web", hostname: "shop.example.com" }),
    "conflict",
    /^shop\.example\.com is already in use$/,
  );
});

test("two tenants racing for one name: exactly one gets it", async () => {
  const results = await Promise.allSettled([
    service.add("acme", { app: "web", hostname: "race.example.com" }),
    service.add("beta", { app: "web", hostname: "race.example.com" }),
  ]);
  assert.deepEqual(results.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
  assert.equal(store.state.domains.filter((d) => d.hostname === "race.example.com").length, 1);
});

test("names under the platform's zones, unknown apps, TCP apps and first deploys in flight are refused", async () => {
  for (const hostname of ["web.acme.cloud.local", "cloud.local", "db.acme.internal"]) {
    await rejectsWith(service.add("acme", { app: "web", hostname }), "conflict", /the platform's own zone/);
  }
  await rejectsWith(service.add("acme", { app: "nope", hostname: "nope.example.com" }), "not_found", /app nope not found/);
  await rejectsWith(service.add("beta", { app: "api", hostname: "x.example.com" }), "not_found", /app api not found in tenant beta/);
  await rejectsWith(service.add("acme", { app: "db", hostname: "db.example.com" }), "conflict", /no HTTP port \(no --port\)/);
  await rejectsWith(service.add("acme", { app: "pg", hostname: "pg.example.com" }), "conflict", /no HTTP port \(TCP on port 5432\)/);
  await rejectsWith(service.add("acme", { app: "fresh", hostname: "fresh.example.com" }), "conflict", /still being deployed/);
  assert.deepEqual(store.state.domains, []);
  assert.equal(published, 0);
});

test("a tenant may have so many domains, and is told so", async () => {
  for (const hostname of ["a.example.com", "b.example.com", "c.example.com"]) await service.add("acme", { app: "web", hostname });
  await rejectsWith(
    service.add("acme", { app: "api", hostname: "d.example.com" }),
    "quota_exceeded",
    /3 custom domains, the most a tenant may have/,
  );
  await service.add("beta", { app: "web", hostname: "d.example.com" });
});

test("removing: only the tenant's own names, in any case or with a trailing dot", async () => {
  await service.add("acme", { app: "web", hostname: "shop.example.com" });
  await rejectsWith(service.remove("beta", "shop.example.com"), "not_found", /domain shop\.example\.com not found in tenant beta/);
  await rejectsWith(service.remove("acme", "other.example.com"), "not_found", /not found/);
  await service.remove("acme", "Shop.Example.com.");
  assert.deepEqual(store.state.domains, []);
  assert.deepEqual(typesOf("acme"), ["domain.added", "domain.removed"]);
  assert.deepEqual(typesOf("beta"), []);
});

test("an app's domains go in the same store change that removes the app, and are announced after it", async () => {
  await service.add("acme", { app: "web", hostname: "shop.example.com" });
  await service.add("acme", { app: "api", hostname: "api.example.com" });
  const announce = await store.update((state) => {
    state.apps = state.apps.filter((a) => !(a.tenant === "acme" && a.name === "web"));
    return service.dropWith(state, "acme", "web");
  });
  assert.deepEqual(
    store.state.domains.map((d) => d.hostname),
    ["api.example.com"],
  );
  assert.deepEqual(typesOf("acme"), ["domain.added", "domain.added"], "nothing announced before the commit");
  announce();
  assert.deepEqual(typesOf("acme"), ["domain.added", "domain.added", "domain.removed"]);
  await service.add("beta", { app: "web", hostname: "shop.example.com" });
});
