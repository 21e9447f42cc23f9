import assert from "node:assert/strict";
import { test } from "node:test";
import { type CaddySettings, caddyConfig, type IngressRoute } from "./caddy-config.ts";
import { certificateIssuer, isPublicHostname } from "./certificates.ts";

const settings: CaddySettings = {
  adminSocket: "/data/ingress/admin.sock",
  storageDir: "/data/ingress/storage",
  httpPort: 8080,
  httpsPort: 8443,
  notFoundPage: "<h1>no app</h1>",
  resolver: "127.0.0.1:5353",
};

const web: IngressRoute = { host: "web.acme.cloud.local", upstreamName: "web.acme.internal", port: 8080 };

interface Route {
  match?: { host: string[] }[];
  handle: { handler: string; status_code?: number; dynamic_upstreams?: { name: string; port: string } }[];
}
interface Config {
  apps: {
    tls: { automation: { policies: { subjects?: string[]; issuers: { module: string; email?: string; ca?: string }[] }[] } };
    http: { servers: { http: { routes: Route[] }; https: { routes: Route[] } } };
  };
}

function configOf(routes: IngressRoute[], extra: Partial<CaddySettings> = {}): Config {
  return caddyConfig({ ...settings, ...extra }, routes) as Config;
}

test("an app's custom domains are more host matchers on its own route, on HTTP and HTTPS", () => {
  const config = configOf([{ ...web, customHosts: ["shop.example.com", "www.shop.example.com"] }]);
  for (const server of [config.apps.http.servers.http, config.apps.http.servers.https]) {
    const [route, notFound] = server.routes;
    assert.deepEqual(route?.match, [
      {
        host: [
          "web.acme.cloud.local",
          "web.acme.cloud.local.",
          "shop.example.com",
          "shop.example.com.",
          "www.shop.example.com",
          "www.shop.example.com.",
        ],
      },
    ]);
    assert.deepEqual(
      route?.handle.map((h) => [h.handler, h.dynamic_upstreams?.name, h.dynamic_upstreams?.port]),
      [["reverse_proxy", "web.acme.internal", "8080"]],
      "the same dynamic upstreams as the app's own host: no reload per deploy",
    );
    assert.equal(notFound?.match, undefined, "the 404 page still catches every other host");
    assert.equal(notFound?.handle[0]?.status_code, 404);
  }
});

test("without custom domains a route matches its own host only", () => {
  const [route] = configOf([web]).apps.http.servers.http.routes;
  assert.deepEqual(route?.match, [{ host: ["web.acme.cloud.local", "web.acme.cloud.local."] }]);
});

test("without ACME every certificate comes from the internal CA, custom domains included", () => {
  const config = configOf([{ ...web, customHosts: ["shop.example.com", "shop.acme.io"] }]);
  assert.deepEqual(config.apps.tls.automation.policies, [{ issuers: [{ module: "internal" }] }]);
});

test("with ACME, public custom domains get an ACME policy first; platform and private hosts stay internal", () => {
  const acme = { email: "ops@acme.io", ca: "https://acme-staging-v02.api.letsencrypt.org/directory" };
  const config = configOf(
    [
      { ...web, customHosts: ["shop.acme.io", "shop.example.test", "intranet.lan"] },
      { host: "api.acme.cloud.local", upstreamName: "api.acme.internal", port: 3000, customHosts: ["api.acme.io"] },
    ],
    { acme },
  );
  assert.deepEqual(config.apps.tls.automation.policies, [
    { subjects: ["api.acme.io", "shop.acme.io"], issuers: [{ module: "acme", email: acme.email, ca: acme.ca }] },
    { issuers: [{ module: "internal" }] },
  ]);
});

test("with ACME but no public custom domain there is no ACME policy (one without subjects would cover every host)", () => {
  const config = configOf([{ ...web, customHosts: ["shop.example.test"] }], { acme: { email: "ops@acme.io" } });
  assert.deepEqual(config.apps.tls.automation.policies, [{ issuers: [{ module: "internal" }] }]);
  const defaultCa = configOf([{ ...web, customHosts: ["shop.acme.io"] }], { acme: { email: "ops@acme.io" } });
  assert.deepEqual(defaultCa.apps.tls.automation.policies[0]?.issuers, [{ module: "acme", email: "ops@acme.io" }], "Caddy's default CA");
});

test("the same routes in any order give the same config (a restarted Caddy gets exactly what it had)", () => {
  const api: IngressRoute = { host: "api.acme.cloud.local", upstreamName: "api.acme.internal", port: 3000, customHosts: ["api.acme.io"] };
  const acme = { email: "ops@acme.io" };
  assert.deepEqual(configOf([web, api], { acme }), configOf([api, web], { acme }));
});

test("public host names are the ones a public CA could sign", () => {
  for (const host of ["shop.acme.io", "example.co.uk", "a.b.c.dev"]) assert.equal(isPublicHostname(host), true, host);
  for (const host of ["shop.example.test", "x.localhost", "nas.local", "db.internal", "printer.home.arpa", "www.example.com", "box.lan"]) {
    assert.equal(isPublicHostname(host), false, host);
  }
  assert.equal(certificateIssuer("shop.acme.io", false), "internal", "ACME off: always the ingress CA");
  assert.equal(certificateIssuer("shop.acme.io", true), "acme");
  assert.equal(certificateIssuer("shop.example.test", true), "internal");
});

test("registry.<domain> goes to the built-in registry, its token path to mcd, with the realm rewritten to the host asked", () => {
  const registry = { host: "registry.cloud.local", upstream: "127.0.0.1:5000", tokenUpstream: "unix//run/mcd.sock" };
  const [first, second] = configOf([web], { registry }).apps.http.servers.https.routes;
  assert.deepEqual(first?.match?.[0]?.host, ["registry.cloud.local", "registry.cloud.local."]);
  assert.deepEqual(second?.match?.[0]?.host, ["web.acme.cloud.local", "web.acme.cloud.local."], "app routes follow");
  const text = JSON.stringify(first);
  assert.match(text, /"path":\["\/v1\/registry\/token"\].*"dial":"unix\/\/run\/mcd.sock"/);
  assert.match(text, /"dial":"127.0.0.1:5000"/);
  assert.match(text, /realm=\\"\{http.request.scheme\}:\/\/\{http.request.hostport\}\/v1\/registry\/token\\"/);
  assert.equal(configOf([web]).apps.http.servers.https.routes.length, 2, "no registry, no route for it");
});
