import assert from "node:assert/strict";
import { test } from "node:test";
import { isLoopback, loadConfig } from "./config.ts";

test("defaults follow DESIGN.md; env vars and flags override them", () => {
  const defaults = loadConfig([], {});
  assert.deepEqual(defaults.listen, { host: "127.0.0.1", port: 7070 });
  assert.equal(defaults.prefix, "mc");
  assert.equal(defaults.domain, "cloud.local");
  const fromEnv = loadConfig([], { MC_LISTEN: "0.0.0.0:9000", MC_PREFIX: "test1" });
  assert.deepEqual(fromEnv.listen, { host: "0.0.0.0", port: 9000 });
  const fromFlags = loadConfig(["--prefix", "flagged", "--data-dir", "/tmp/x"], { MC_PREFIX: "env" });
  assert.equal(fromFlags.prefix, "flagged");
  assert.equal(fromFlags.dataDir, "/tmp/x");
});

test("bad settings are named", () => {
  assert.throws(() => loadConfig([], { MC_LISTEN: "nope" }), /MC_LISTEN/);
  assert.throws(() => loadConfig([], { MC_PREFIX: "Bad_Prefix" }), /MC_PREFIX/);
  assert.throws(() => loadConfig([], { MC_HTTP_PORT: "99999" }), /MC_HTTP_PORT/);
});

test("only loopback binds go without TLS", () => {
  assert.equal(isLoopback("127.0.0.1"), true);
  assert.equal(isLoopback("::1"), true);
  assert.equal(isLoopback("0.0.0.0"), false);
  assert.equal(isLoopback("192.0.2.1"), false);
});

test("ACME is off unless MC_ACME_EMAIL is set; its settings are checked", () => {
  assert.equal(loadConfig([], {}).acme, undefined);
  assert.deepEqual(loadConfig([], { MC_ACME_EMAIL: "ops@example.com" }).acme, { email: "ops@example.com", ca: undefined });
  const staging = "https://acme-staging-v02.api.letsencrypt.org/directory";
  assert.deepEqual(loadConfig(["--acme-email", "ops@example.com", "--acme-ca", staging], {}).acme, {
    email: "ops@example.com",
    ca: staging,
  });
  assert.throws(() => loadConfig([], { MC_ACME_EMAIL: "not-an-email" }), /MC_ACME_EMAIL/);
  assert.throws(() => loadConfig([], { MC_ACME_EMAIL: "ops@example.com", MC_ACME_CA: "http://plain" }), /MC_ACME_CA/);
  assert.throws(() => loadConfig([], { MC_ACME_CA: staging }), /MC_ACME_CA needs MC_ACME_EMAIL/);
});

test("settings files: the data dir's over /etc's, env and flags over both; each value says where it came from", async () => {
  const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
  const os = await import("node:os");
  const path = await import("node:path");
  const dir = await mkdtemp(path.join(os.tmpdir(), "mcd-config-"));
  try {
    const systemFile = path.join(dir, "system.toml");
    await writeFile(systemFile, 'domain = "system.test"\nhttp-port = 8001\nhosts-file = "hosts"\n');
    await writeFile(path.join(dir, "mcd.toml"), "http-port = 8002\n");
    const config = loadConfig([], { MC_DATA_DIR: dir, MC_HTTPS_PORT: "8443" }, { systemFile });
    assert.equal(config.domain, "system.test");
    assert.equal(config.httpPort, 8002);
    assert.equal(config.httpsPort, 8443);
    assert.equal(config.hostsFile, path.join(dir, "hosts"), "a relative path is relative to its file");
    const source = (key: string) => config.settings.find((s) => s.key === key);
    assert.deepEqual(source("http-port"), {
      key: "http-port",
      env: "MC_HTTP_PORT",
      value: "8002",
      source: "file",
      file: path.join(dir, "mcd.toml"),
    });
    assert.equal(source("domain")?.file, systemFile);
    assert.equal(source("https-port")?.source, "env");
    assert.equal(source("prefix")?.source, "default");
    assert.deepEqual([...config.given], [["https-port", 8443]], "only what env/flags gave is saved, never the data dir");
    assert.equal(loadConfig(["--http-port", "9000"], { MC_DATA_DIR: dir, MC_HTTP_PORT: "9001" }, { systemFile }).httpPort, 9000);
    assert.equal(loadConfig([], { MC_DATA_DIR: dir, MC_HOSTS_FILE: "" }, { systemFile }).hostsFile, undefined, "empty turns it off");

    await writeFile(path.join(dir, "mcd.toml"), "http-port = 99999\n");
    assert.throws(
      () => loadConfig([], { MC_DATA_DIR: dir }, { systemFile }),
      new RegExp(`^Error: http-port in ${path.join(dir, "mcd.toml")} must be a port number \\(0-65535\\), got "99999"$`),
    );
    assert.equal(loadConfig([], { MC_DATA_DIR: dir, MC_HTTP_PORT: "80" }, { systemFile }).httpPort, 80, "env overrides a bad file value");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the TCP listener's own certificate: both files or neither, kept like any setting", () => {
  const systemFile = "/nonexistent/mcd.toml";
  const dataDir = { MC_DATA_DIR: "/nonexistent/data" };
  assert.equal(loadConfig([], dataDir, { systemFile }).tls, undefined);
  const both = loadConfig([], { ...dataDir, MC_TLS_CERT: "/etc/mc/cert.pem", MC_TLS_KEY: "/etc/mc/key.pem" }, { systemFile });
  assert.deepEqual(both.tls, { cert: "/etc/mc/cert.pem", key: "/etc/mc/key.pem" });
  assert.deepEqual([...both.given.keys()], ["tls-cert", "tls-key"]);
  assert.throws(
    () => loadConfig([], { ...dataDir, MC_TLS_CERT: "/etc/mc/cert.pem" }, { systemFile }),
    /^Error: MC_TLS_CERT needs MC_TLS_KEY too/,
  );
});
