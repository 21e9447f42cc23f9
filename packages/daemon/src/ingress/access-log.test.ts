import assert from "node:assert/strict";
import { test } from "node:test";
import { ACCESS_LOGGER } from "./access-log.ts";
import { caddyConfig } from "./caddy-config.ts";

const settings = {
  adminSocket: "/data/ingress/admin.sock",
  storageDir: "/data/ingress/storage",
  httpPort: 8080,
  httpsPort: 8443,
  notFoundPage: "<h1>no app</h1>",
  resolver: "127.0.0.1:5353",
};

interface Logged {
  logging: {
    logs: Record<
      string,
      { writer?: { filename: string }; encoder?: { fields: Record<string, unknown> }; include?: string[]; exclude?: string[] }
    >;
  };
  apps: { http: { servers: Record<string, { logs?: { default_logger_name: string } }> } };
}

test("with an access log, both servers log every request to it, headers and URIs left out; the default log leaves them alone", () => {
  const config = caddyConfig({ ...settings, accessLog: "/data/ingress/access.log" }, []) as Logged;
  for (const server of ["http", "https"]) assert.equal(config.apps.http.servers[server]?.logs?.default_logger_name, ACCESS_LOGGER);
  const access = config.logging.logs[ACCESS_LOGGER];
  assert.equal(access?.writer?.filename, "/data/ingress/access.log");
  assert.deepEqual(access?.include, [`http.log.access.${ACCESS_LOGGER}`]);
  const dropped = Object.keys(access?.encoder?.fields ?? {});
  for (const field of ["request>headers", "request>tls", "request>uri", "resp_headers"]) assert.ok(dropped.includes(field), field);
  // What the per-app metrics read stays (metrics/access-log-reader.ts).
  for (const field of ["request>host", "status", "duration"]) assert.ok(!dropped.includes(field), field);
  assert.deepEqual(config.logging.logs.default?.exclude, [`http.log.access.${ACCESS_LOGGER}`]);
  const without = caddyConfig(settings, []) as Logged;
  assert.equal(without.apps.http.servers.http?.logs, undefined);
});
