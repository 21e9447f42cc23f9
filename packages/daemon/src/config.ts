import path from "node:path";
import { parseArgs } from "node:util";
import { defaultDataDir, defaultSocket, formatBytes, parseBytes } from "@minicloud/shared";
import { ConfigError, type FileValues, readSettingsFile } from "./settings-file.ts";
import { checkCron } from "./volumes/schedules.ts";

export { ConfigError } from "./settings-file.ts";

export type SettingSource = "flag" | "env" | "file" | "default";

/** One effective setting and where its value came from (what `mc daemon status` shows). */
export interface SettingReport {
  key: SettingKey;
  env: string;
  /** null: unset (off, or found on PATH). */
  value: string | null;
  source: SettingSource;
  /** The settings file it came from, for source "file". */
  file: string | null;
}

export interface DaemonConfig {
  dataDir: string;
  socket: string;
  listen: { host: string; port: number };
  domain: string;
  httpPort: number;
  httpsPort: number;
  dnsPort: number;
  /** The built-in registry's port on 127.0.0.1. */
  registryPort: number;
  /** docker-registry's path; found on PATH when unset. */
  registryBin: string | undefined;
  /** When the built-in registry's garbage collection runs (cron, UTC). */
  registryGc: string;
  /** Tenant networks get /24s from this range. */
  subnetPool: string;
  caddyBin: string | undefined;
  /** A hosts file (usually /etc/hosts) the daemon keeps listing every routed host; off when unset. */
  hostsFile: string | undefined;
  /** The master key that wraps tenants' data keys (secrets); `<data dir>/master.key` when unset. */
  masterKeyFile: string;
  corednsBin: string | undefined;
  /** How often serving instances are probed at their health path. */
  healthIntervalMs: number;
  /** How often desired state is compared with what runs, as a safety net for missed events. */
  reconcileIntervalMs: number;
  prefix: string;
  dockerHost: string | undefined;
  /** How long a new instance may take to answer its health check. */
  healthTimeoutMs: number;
  /** API requests per key per minute (token bucket; also the burst). */
  rateLimitPerMinute: number;
  /** Failed authentications per client address per window before 429 (and one audit entry per window). */
  authFailures: { limit: number; windowSeconds: number };
  /** How often the bytes written into writable root filesystems are measured (against the storage quota). */
  diskSampleIntervalMs: number;
  /** How often every running instance's CPU, memory, network and pids are sampled. */
  metricsIntervalMs: number;
  /** Releases kept per app (the active one is always kept). */
  releaseHistory: number;
  /** The durable log store: bytes kept per tenant, and bytes one instance may log per second before lines are dropped. */
  logs: { bytesPerTenant: number; bytesPerSecond: number };
  /** Webhook URLs may point at private and loopback addresses (tests, trusted hosts); the daemon's own ports never. */
  webhookAllowPrivate: boolean;
  /** How long one webhook delivery attempt may take (connect, headers and body). */
  webhookTimeoutMs: number;
  /** How long one build may run before the engine's build is stopped. */
  buildTimeoutMs: number;
  /** Open streams (log and event follows, builds, exec and event WebSockets) per key and per tenant. */
  streams: { perKey: number; perTenant: number };
  /** How long the TCP listener waits for a request's headers (slow clients are cut), and an idle keep-alive. */
  headerTimeoutMs: number;
  /** Open TCP connections one client address may hold. */
  connectionsPerAddress: number;
  logLevel: string;
  /** How volume sizes hold: `loop` (an ext4 image each; root on Linux), `dir` (tracked only), `auto`. */
  volumeBackend: "auto" | "loop" | "dir";
  /** Tenant networks fenced off the host (iptables INPUT rules): `auto` is on when the engine's iptables is found. */
  hostFirewall: "auto" | "on" | "off";
  /** The TCP listener's own certificate and key (PEM files) when it serves TLS; generated when unset. */
  tls: { cert: string; key: string } | undefined;
  /** Public certificates for public custom domains through ACME; off (the ingress CA signs) when unset. */
  acme: { email: string; ca: string | undefined } | undefined;
  /** Every setting with its source, in table order. */
  settings: SettingReport[];
  /** The settings files considered, highest precedence first. */
  files: { path: string; loaded: boolean }[];
  /** The data dir's settings file: what `given` is saved to. */
  settingsFile: string;
  /** Settings given by env var or flag at this start, as they are saved for the next one. */
  given: FileValues;
}

interface SettingDef {
  env: string;
  /** How the value is written to the settings file; paths are made absolute. */
  kind: "text" | "number" | "path";
  /** Unset is a valid state (off, or PATH); an empty value sets it so. */
  optional?: true;
  /** Why it cannot come from a settings file (it says where that file is, or how to find the daemon). */
  notInFile?: string;
}

/** Every setting comes from an env var or the same-named flag (`MC_DATA_DIR` ⇔ `--data-dir`), else the settings files. */
const SETTINGS = {
  "data-dir": { env: "MC_DATA_DIR", kind: "path", notInFile: "it says where this file is: use MC_DATA_DIR or --data-dir" },
  socket: { env: "MC_SOCKET", kind: "path", notInFile: "`mc` finds the daemon by it: use MC_SOCKET or --socket" },
  listen: { env: "MC_LISTEN", kind: "text" },
  domain: { env: "MC_DOMAIN", kind: "text" },
  "http-port": { env: "MC_HTTP_PORT", kind: "number" },
  "https-port": { env: "MC_HTTPS_PORT", kind: "number" },
  "dns-port": { env: "MC_DNS_PORT", kind: "number" },
  "registry-port": { env: "MC_REGISTRY_PORT", kind: "number" },
  "registry-bin": { env: "MC_REGISTRY_BIN", kind: "path", optional: true },
  "registry-gc": { env: "MC_REGISTRY_GC", kind: "text" },
  "subnet-pool": { env: "MC_SUBNET_POOL", kind: "text" },
  "caddy-bin": { env: "MC_CADDY_BIN", kind: "path", optional: true },
  "hosts-file": { env: "MC_HOSTS_FILE", kind: "path", optional: true },
  "master-key-file": { env: "MC_MASTER_KEY_FILE", kind: "path", optional: true },
  "coredns-bin": { env: "MC_COREDNS_BIN", kind: "path", optional: true },
  "health-interval": { env: "MC_HEALTH_INTERVAL", kind: "number" },
  "reconcile-interval": { env: "MC_RECONCILE_INTERVAL", kind: "number" },
  prefix: { env: "MC_PREFIX", kind: "text" },
  "health-timeout": { env: "MC_HEALTH_TIMEOUT", kind: "number" },
  "rate-limit": { env: "MC_RATE_LIMIT", kind: "number" },
  "auth-failure-limit": { env: "MC_AUTH_FAILURE_LIMIT", kind: "number" },
  "auth-failure-window": { env: "MC_AUTH_FAILURE_WINDOW", kind: "number" },
  "build-timeout": { env: "MC_BUILD_TIMEOUT", kind: "number" },
  "disk-sample-interval": { env: "MC_DISK_SAMPLE_INTERVAL", kind: "number" },
  "metrics-interval": { env: "MC_METRICS_INTERVAL", kind: "number" },
  "release-history": { env: "MC_RELEASE_HISTORY", kind: "number" },
  "log-bytes-per-tenant": { env: "MC_LOG_BYTES_PER_TENANT", kind: "text" },
  "log-rate": { env: "MC_LOG_RATE", kind: "text" },
  "webhook-allow-private": { env: "MC_WEBHOOK_ALLOW_PRIVATE", kind: "text" },
  "webhook-timeout": { env: "MC_WEBHOOK_TIMEOUT", kind: "number" },
  "streams-per-key": { env: "MC_STREAMS_PER_KEY", kind: "number" },
  "streams-per-tenant": { env: "MC_STREAMS_PER_TENANT", kind: "number" },
  "header-timeout": { env: "MC_HEADER_TIMEOUT", kind: "number" },
  "connections-per-address": { env: "MC_CONNECTIONS_PER_ADDRESS", kind: "number" },
  "log-level": { env: "MC_LOG_LEVEL", kind: "text" },
  "volume-backend": { env: "MC_VOLUME_BACKEND", kind: "text" },
  "host-firewall": { env: "MC_HOST_FIREWALL", kind: "text" },
  "acme-email": { env: "MC_ACME_EMAIL", kind: "text", optional: true },
  "acme-ca": { env: "MC_ACME_CA", kind: "text", optional: true },
  "tls-cert": { env: "MC_TLS_CERT", kind: "path", optional: true },
  "tls-key": { env: "MC_TLS_KEY", kind: "path", optional: true },
} as const satisfies Record<string, SettingDef>;

export type SettingKey = keyof typeof SETTINGS;

const DEFAULTS: Partial<Record<SettingKey, string>> = {
  listen: "127.0.0.1:7070",
  domain: "cloud.local",
  "http-port": "80",
  "https-port": "443",
  "dns-port": "53",
  "registry-gc": "30 3 * * 0",
  "subnet-pool": "10.210.0.0/16",
  "health-interval": "5",
  "reconcile-interval": "30",
  prefix: "mc",
  "health-timeout": "30",
  "rate-limit": "600",
  "auth-failure-limit": "20",
  "auth-failure-window": "60",
  "build-timeout": "900",
  "disk-sample-interval": "30",
  "metrics-interval": "10",
  "release-history": "20",
  "log-bytes-per-tenant": "1g",
  "log-rate": "16m",
  "webhook-allow-private": "false",
  "webhook-timeout": "10",
  "streams-per-key": "20",
  "streams-per-tenant": "50",
  "header-timeout": "10",
  "connections-per-address": "256",
  "log-level": "info",
  "volume-backend": "auto",
  "host-firewall": "auto",
};

/** Read when present, below the data dir's own file. */
export const SYSTEM_SETTINGS_FILE = "/etc/minicloud/mcd.toml";
/** The data dir's settings file. */
export const SETTINGS_FILE_NAME = "mcd.toml";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

interface Resolved {
  value: string | undefined;
  source: SettingSource;
  file: string | null;
  /** How an error names it: `MC_HTTP_PORT`, `--http-port`, `http-port in /var/lib/minicloud/mcd.toml`. */
  label: string;
}

export interface LoadOptions {
  /** The system-wide settings file (tests point it elsewhere). */
  systemFile?: string;
}

/**
 * Settings by precedence: flag, env var, `<data dir>/mcd.toml`, /etc/minicloud/mcd.toml, default.
 * A bad value is a ConfigError naming the setting as it was given (env var, flag, or key and file).
 */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): DaemonConfig {
  const { values: flags } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.keys(SETTINGS).map((flag) => [flag, { type: "string" as const }])),
    strict: true,
  });
  const given = (key: SettingKey): Resolved | undefined => {
    const def: SettingDef = SETTINGS[key];
    const flag = flags[key] as string | undefined;
    // An empty value unsets an optional setting; for the others it is as if it were not given.
    if (flag !== undefined && (flag !== "" || def.optional)) return { value: flag, source: "flag", file: null, label: `--${key}` };
    const fromEnv = env[def.env];
    if (fromEnv !== undefined && (fromEnv !== "" || def.optional)) return { value: fromEnv, source: "env", file: null, label: def.env };
    return undefined;
  };

  // The data dir (where the settings file is) and the socket come from env, flag or default only.
  const dataDir = path.resolve(given("data-dir")?.value ?? defaultDataDir({}));
  const settingsFile = path.join(dataDir, SETTINGS_FILE_NAME);
  const layers = [settingsFile, options.systemFile ?? SYSTEM_SETTINGS_FILE].map((file) => ({ file, values: readLayer(file) }));

  const resolved = {} as Record<SettingKey, Resolved>;
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const layer = layers.find((l) => l.values?.has(key));
    const fileValue = layer?.values?.get(key);
    resolved[key] =
      given(key) ??
      (layer && fileValue !== undefined
        ? {
            value: fromFile(String(fileValue), SETTINGS[key], layer.file),
            source: "file",
            file: layer.file,
            label: `${key} in ${layer.file}`,
          }
        : { value: DEFAULTS[key], source: "default", file: null, label: SETTINGS[key].env });
  }
  resolved["data-dir"] = { ...resolved["data-dir"], value: dataDir };
  const get = (key: SettingKey): string => resolved[key].value ?? "";
  const label = (key: SettingKey): string => resolved[key].label;

  const listen = get("listen");
  const match = /^(.*):(\d+)$/.exec(listen);
  if (!match) throw new ConfigError(`${label("listen")} must be host:port, got "${listen}"`);
  const prefix = get("prefix");
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(prefix)) {
    throw new ConfigError(`${label("prefix")} must be 1-16 lowercase letters, digits or '-', starting with a letter; got "${prefix}"`);
  }
  const domain = get("domain").toLowerCase();
  if (!HOSTNAME.test(domain)) throw new ConfigError(`${label("domain")} must be a DNS name such as cloud.local, got "${get("domain")}"`);
  const seconds = (key: SettingKey): number => {
    const value = Number(get(key));
    if (!(value > 0)) throw new ConfigError(`${label(key)} must be a positive number of seconds, got "${get(key)}"`);
    return value;
  };
  const subnetPool = get("subnet-pool");
  if (!/^\d+\.\d+\.\d+\.\d+\/(1[6-9]|2[0-4])$/.test(subnetPool))
    throw new ConfigError(`${label("subnet-pool")} must be an IPv4 range from /16 to /24 such as 10.210.0.0/16, got "${subnetPool}"`);
  const rateLimit = Number(get("rate-limit"));
  if (!Number.isInteger(rateLimit) || rateLimit < 1)
    throw new ConfigError(`${label("rate-limit")} must be a whole number of requests per minute, at least 1; got "${get("rate-limit")}"`);
  const authFailureLimit = Number(get("auth-failure-limit"));
  if (!Number.isInteger(authFailureLimit) || authFailureLimit < 1)
    throw new ConfigError(
      `${label("auth-failure-limit")} must be a whole number of failed authentications per address, at least 1; got "${get("auth-failure-limit")}"`,
    );
  const count = (key: SettingKey, what: string): number => {
    const value = Number(get(key));
    if (!Number.isInteger(value) || value < 1)
      throw new ConfigError(`${label(key)} must be a whole number of ${what}, at least 1; got "${get(key)}"`);
    return value;
  };
  const logLevel = get("log-level");
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`${label("log-level")} must be one of ${LOG_LEVELS.join(", ")}; got "${logLevel}"`);
  const volumeBackend = get("volume-backend");
  if (!["auto", "loop", "dir"].includes(volumeBackend))
    throw new ConfigError(`${label("volume-backend")} must be auto, loop or dir; got "${volumeBackend}"`);
  const hostFirewall = get("host-firewall");
  if (!["auto", "on", "off"].includes(hostFirewall))
    throw new ConfigError(`${label("host-firewall")} must be auto, on or off; got "${hostFirewall}"`);
  const port = (key: SettingKey, text = get(key)): number => {
    const value = Number(text);
    if (text === "" || !Number.isInteger(value) || value < 0 || value > 65535)
      throw new ConfigError(`${label(key)} must be a port number (0-65535), got "${text}"`);
    return value;
  };

  // Two daemons with different prefixes on one host each get their own registry port by default.
  if (resolved["registry-port"].value === undefined) resolved["registry-port"].value = String(defaultRegistryPort(prefix));
  const registryGc = get("registry-gc");
  if (!cronIsValid(registryGc))
    throw new ConfigError(`${label("registry-gc")} must be a cron expression such as "30 3 * * 0", got "${registryGc}"`);

  const bytes = (key: SettingKey, min: number): number => {
    const value = parseBytes(get(key));
    if (value === undefined || value < min)
      throw new ConfigError(`${label(key)} must be a size of at least ${formatBytes(min)} such as 1g or 512m; got "${get(key)}"`);
    return value;
  };
  const webhookAllowPrivate = get("webhook-allow-private");
  if (!["true", "false"].includes(webhookAllowPrivate))
    throw new ConfigError(`${label("webhook-allow-private")} must be true or false; got "${webhookAllowPrivate}"`);

  const acmeEmail = get("acme-email") || undefined;
  if (acmeEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(acmeEmail))
    throw new ConfigError(`${label("acme-email")} must be an email address (the ACME account's contact), got "${acmeEmail}"`);
  const acmeCa = get("acme-ca") || undefined;
  if (acmeCa !== undefined && !/^https:\/\/\S+$/.test(acmeCa))
    throw new ConfigError(`${label("acme-ca")} must be an ACME directory URL starting with https://, got "${acmeCa}"`);
  if (acmeCa !== undefined && acmeEmail === undefined)
    throw new ConfigError(`${label("acme-ca")} needs MC_ACME_EMAIL, which turns ACME on`);
  const [tlsCert, tlsKey] = [optionalPath(resolved["tls-cert"]), optionalPath(resolved["tls-key"])];
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    const [given, missing]: SettingKey[] = tlsCert ? ["tls-cert", "tls-key"] : ["tls-key", "tls-cert"];
    throw new ConfigError(`${label(given ?? "tls-cert")} needs ${SETTINGS[missing ?? "tls-key"].env} too: a certificate goes with its key`);
  }

  const config: DaemonConfig = {
    dataDir,
    socket: path.resolve(given("socket")?.value ?? defaultSocket({ XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR })),
    listen: { host: (match[1] ?? "").replace(/^\[|\]$/g, ""), port: port("listen", match[2]) },
    domain,
    httpPort: port("http-port"),
    httpsPort: port("https-port"),
    dnsPort: port("dns-port"),
    registryPort: port("registry-port"),
    registryBin: optionalPath(resolved["registry-bin"]),
    registryGc,
    subnetPool,
    caddyBin: optionalPath(resolved["caddy-bin"]),
    hostsFile: optionalPath(resolved["hosts-file"]),
    masterKeyFile: optionalPath(resolved["master-key-file"]) ?? path.join(dataDir, "master.key"),
    corednsBin: optionalPath(resolved["coredns-bin"]),
    healthIntervalMs: seconds("health-interval") * 1000,
    reconcileIntervalMs: seconds("reconcile-interval") * 1000,
    prefix,
    dockerHost: env.DOCKER_HOST,
    healthTimeoutMs: seconds("health-timeout") * 1000,
    rateLimitPerMinute: rateLimit,
    authFailures: { limit: authFailureLimit, windowSeconds: seconds("auth-failure-window") },
    buildTimeoutMs: seconds("build-timeout") * 1000,
    diskSampleIntervalMs: seconds("disk-sample-interval") * 1000,
    metricsIntervalMs: seconds("metrics-interval") * 1000,
    releaseHistory: count("release-history", "releases kept per app"),
    logs: { bytesPerTenant: bytes("log-bytes-per-tenant", 1024 ** 2), bytesPerSecond: bytes("log-rate", 1024) },
    webhookAllowPrivate: webhookAllowPrivate === "true",
    webhookTimeoutMs: seconds("webhook-timeout") * 1000,
    streams: {
      perKey: count("streams-per-key", "open streams per key"),
      perTenant: count("streams-per-tenant", "open streams per tenant"),
    },
    headerTimeoutMs: seconds("header-timeout") * 1000,
    connectionsPerAddress: count("connections-per-address", "open connections per client address"),
    logLevel,
    volumeBackend: volumeBackend as DaemonConfig["volumeBackend"],
    hostFirewall: hostFirewall as DaemonConfig["hostFirewall"],
    tls: tlsCert && tlsKey ? { cert: tlsCert, key: tlsKey } : undefined,
    acme: acmeEmail === undefined ? undefined : { email: acmeEmail, ca: acmeCa },
    settings: [],
    files: layers.map((l) => ({ path: l.file, loaded: l.values !== undefined })),
    settingsFile,
    given: new Map(),
  };
  resolved.socket = { ...(given("socket") ?? { source: "default", file: null, label: "MC_SOCKET" }), value: config.socket };
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const { value, source, file } = resolved[key];
    const def: SettingDef = SETTINGS[key];
    const effective = def.kind === "path" && value ? path.resolve(value) : (value ?? "");
    config.settings.push({ key, env: def.env, value: effective === "" ? null : effective, source, file });
    if ((source === "env" || source === "flag") && !def.notInFile) {
      config.given.set(key, def.kind === "number" ? Number(effective) : effective);
    }
  }
  return config;
}

/** A settings file's values; a relative path in it is relative to the file. */
function readLayer(file: string): FileValues | undefined {
  const refused = new Map(
    Object.entries(SETTINGS).flatMap(([key, def]: [string, SettingDef]) => (def.notInFile ? [[key, def.notInFile] as const] : [])),
  );
  return readSettingsFile(file, new Set(Object.keys(SETTINGS).filter((key) => !refused.has(key))), refused);
}

function fromFile(value: string, def: SettingDef, file: string): string {
  return def.kind === "path" && value !== "" ? path.resolve(path.dirname(file), value) : value;
}

function optionalPath(setting: Resolved): string | undefined {
  return setting.value ? path.resolve(setting.value) : undefined;
}

/** 5000 for the prefix `mc`; another prefix gets a port of its own in 5001-5999. */
export function defaultRegistryPort(prefix: string): number {
  if (prefix === "mc") return 5000;
  let hash = 0;
  for (const char of prefix) hash = (hash * 31 + char.charCodeAt(0)) % 999;
  return 5001 + hash;
}

function cronIsValid(expression: string): boolean {
  try {
    checkCron(expression);
    return true;
  } catch {
    return false;
  }
}

/** Loopback binds serve plain HTTP; anything else serves TLS. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}
