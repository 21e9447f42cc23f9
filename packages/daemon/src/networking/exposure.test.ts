import assert from "node:assert/strict";
import { test } from "node:test";
import type { AppRecord } from "../store/schema.ts";
import { exposureOf } from "./exposure.ts";

function app(tenant: string, name: string, overrides: Partial<AppRecord> = {}, port: number | null = 8080): AppRecord {
  return {
    tenant,
    name,
    spec: {
      name,
      image: "img",
      port: port ?? undefined,
      count: 2,
      memory: 1,
      cpus: 1,
      env: {},
      healthPath: "/",
      readOnlyRootfs: true,
      command: undefined,
    },
    desired: "running",
    phase: "ready",
    instances: [
      { id: `${tenant}-${name}-1`, containerId: "c1", ip: "10.210.0.2", release: 1, restarts: 0 },
      { id: `${tenant}-${name}-2`, containerId: "c2", ip: "10.210.0.3", release: 1, restarts: 0 },
    ],
    release: 1,
    releases: [],
    createdAt: "",
    updatedAt: "",
    ...overrides,
  };
}

test("two tenants with the same app name get separate hosts and separate zones", () => {
  const { routes, records } = exposureOf([app("acme", "web"), app("beta", "web")], ["acme", "beta"], "cloud.local", () => false);
  assert.deepEqual(
    routes.map((r) => r.host),
    ["web.acme.cloud.local", "web.beta.cloud.local"],
  );
  assert.deepEqual(routes[0], { host: "web.acme.cloud.local", upstreamName: "web.acme.internal", port: 8080 });
  assert.deepEqual(
    records.get("acme")?.map((r) => r.name),
    ["web", "web"],
  );
  assert.deepEqual(
    records.get("beta")?.map((r) => r.name),
    ["web", "web"],
  );
});

test("stopped apps, deploys in flight, unhealthy and address-less instances are not served", () => {
  const apps = [
    app("acme", "stopped", { desired: "stopped" }),
    app("acme", "deploying", { phase: "deploying" }),
    app("acme", "web", {
      instances: [
        { id: "sick", containerId: "c1", ip: "10.210.0.2", release: 1, restarts: 0 },
        { id: "gone", containerId: "c2", ip: null, release: 1, restarts: 0 },
        { id: "ok", containerId: "c3", ip: "10.210.0.4", release: 1, restarts: 0 },
      ],
    }),
  ];
  const { routes, records } = exposureOf(apps, ["acme", "empty"], "localhost", (id) => id === "sick");
  assert.deepEqual(routes, [{ host: "web.acme.localhost", upstreamName: "web.acme.internal", port: 8080 }]);
  assert.deepEqual(records.get("acme"), [{ name: "web", ip: "10.210.0.4" }]);
  assert.deepEqual(records.get("empty"), [], "a tenant without apps still gets an (empty) zone");
});

test("a first deploy in flight is routed (its reload overlaps start-up) but has no records yet", () => {
  const operation = { kind: "deploy" as const, spec: app("acme", "new").spec, version: 1, startedAt: "" };
  const apps = [
    app("acme", "new", { phase: "deploying", instances: [], operation }),
    app("acme", "scaling", { phase: "deploying", instances: [], operation: { ...operation, kind: "scale" } }),
    app("acme", "worker", { phase: "deploying", instances: [], operation }, null),
  ];
  const { routes, records } = exposureOf(apps, ["acme"], "localhost", () => false);
  assert.deepEqual(routes, [{ host: "new.acme.localhost", upstreamName: "new.acme.internal", port: 8080 }]);
  assert.deepEqual(records.get("acme"), []);
});

test("an app without a port gets DNS records but no ingress route", () => {
  const { routes, records } = exposureOf([app("acme", "worker", {}, null)], ["acme"], "cloud.local", () => false);
  assert.deepEqual(routes, []);
  assert.equal(records.get("acme")?.length, 2);
});

test("custom domains ride on their own app's route, sorted, and go when it stops serving", () => {
  const domains = [
    { hostname: "www.shop.example.com", tenant: "acme", app: "web", createdAt: "" },
    { hostname: "shop.example.com", tenant: "acme", app: "web", createdAt: "" },
    { hostname: "beta.example.com", tenant: "beta", app: "web", createdAt: "" },
  ];
  const apps = [app("acme", "web"), app("beta", "web", { desired: "stopped" }), app("acme", "api")];
  const { routes } = exposureOf(apps, ["acme", "beta"], "cloud.local", () => false, domains);
  assert.deepEqual(
    routes.map((r) => [r.host, r.customHosts]),
    [
      ["web.acme.cloud.local", ["shop.example.com", "www.shop.example.com"]],
      ["api.acme.cloud.local", undefined],
    ],
  );
});
