import path from "node:path";
import { parseArgs } from "node:util";
import { defaultDataDir, defaultSocket } from "@minicloud/shared";

export interface DaemonConfig {
  dataDir: string;
  socket: string;
  listen: { host: string; port: number };
  domain: string;
  httpPort: number;
  httpsPort: number;
  dnsPort: number;
  /** Tenant networks get /24s from this range. */
  subnetPool: string;
  caddyBin: string | undefined;
  /** A hosts file (usually /etc/hosts) the daemon keeps listing every routed host; off when unset. */
  hostsFile: string | undefined;
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
  logLevel: string;
  /** Public certificates for public custom domains through ACME; off (the ingress CA signs) when unset. */
  acme: { email: string; ca: string | undefined } | undefined;
}

/** Every setting comes from an env var or the same-named flag (`MC_DATA_DIR` ⇔ `--data-dir`). */
const SETTINGS = {
  "data-dir": "MC_DATA_DIR",
  socket: "MC_SOCKET",
  listen: "MC_LISTEN",
  domain: "MC_DOMAIN",
  "http-port": "MC_HTTP_PORT",
  "https-port": "MC_HTTPS_PORT",
  "dns-port": "MC_DNS_PORT",
  "subnet-pool": "MC_SUBNET_POOL",
  "caddy-bin": "MC_CADDY_BIN",
  "hosts-file": "MC_HOSTS_FILE",
  "coredns-bin": "MC_COREDNS_BIN",
  "health-interval": "MC_HEALTH_INTERVAL",
  "reconcile-interval": "MC_RECONCILE_INTERVAL",
  prefix: "MC_PREFIX",
  "health-timeout": "MC_HEALTH_TIMEOUT",
  "rate-limit": "MC_RATE_LIMIT",
  "log-level": "MC_LOG_LEVEL",
  "acme-email": "MC_ACME_EMAIL",
  "acme-ca": "MC_ACME_CA",
} as const;

export class ConfigError extends Error {}

function port(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    throw new ConfigError(`${name} must be a port number (0-65535), got "${text}"`);
  return value;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.keys(SETTINGS).map((flag) => [flag, { type: "string" as const }])),
    strict: true,
  });
  const get = (flag: keyof typeof SETTINGS): string | undefined => (values[flag] as string | undefined) ?? env[SETTINGS[flag]];

  const listen = get("listen") ?? "127.0.0.1:7070";
  const match = /^(.*):(\d+)$/.exec(listen);
  if (!match) throw new ConfigError(`MC_LISTEN must be host:port, got "${listen}"`);
  const prefix = get("prefix") ?? "mc";
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(prefix)) {
    throw new ConfigError(`MC_PREFIX must be 1-16 lowercase letters, digits or '-', starting with a letter; got "${prefix}"`);
  }
  const healthTimeout = Number(get("health-timeout") ?? "30");
  if (!(healthTimeout > 0)) throw new ConfigError("MC_HEALTH_TIMEOUT must be a positive number of seconds");

  const healthInterval = Number(get("health-interval") ?? "5");
  if (!(healthInterval > 0)) throw new ConfigError("MC_HEALTH_INTERVAL must be a positive number of seconds");
  const reconcileInterval = Number(get("reconcile-interval") ?? "30");
  if (!(reconcileInterval > 0)) throw new ConfigError("MC_RECONCILE_INTERVAL must be a positive number of seconds");
  const subnetPool = get("subnet-pool") ?? "10.210.0.0/16";
  if (!/^\d+\.\d+\.\d+\.\d+\/(1[6-9]|2[0-4])$/.test(subnetPool))
    throw new ConfigError(`MC_SUBNET_POOL must be an IPv4 range from /16 to /24 such as 10.210.0.0/16, got "${subnetPool}"`);

  const rateLimit = Number(get("rate-limit") ?? "600");
  if (!Number.isInteger(rateLimit) || rateLimit < 1)
    throw new ConfigError("MC_RATE_LIMIT must be a whole number of requests per minute, at least 1");

  const acmeEmail = get("acme-email") || undefined;
  if (acmeEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(acmeEmail))
    throw new ConfigError(`MC_ACME_EMAIL must be an email address (the ACME account's contact), got "${acmeEmail}"`);
  const acmeCa = get("acme-ca") || undefined;
  if (acmeCa !== undefined && !/^https:\/\/\S+$/.test(acmeCa))
    throw new ConfigError(`MC_ACME_CA must be an ACME directory URL starting with https://, got "${acmeCa}"`);
  if (acmeCa !== undefined && acmeEmail === undefined) throw new ConfigError("MC_ACME_CA needs MC_ACME_EMAIL, which turns ACME on");

  return {
    dataDir: path.resolve(get("data-dir") ?? defaultDataDir({})),
    socket: path.resolve(get("socket") ?? defaultSocket({ XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR })),
    listen: { host: (match[1] ?? "").replace(/^\[|\]$/g, ""), port: port("MC_LISTEN", match[2] ?? "") },
    domain: get("domain") ?? "cloud.local",
    httpPort: port("MC_HTTP_PORT", get("http-port") ?? "80"),
    httpsPort: port("MC_HTTPS_PORT", get("https-port") ?? "443"),
    dnsPort: port("MC_DNS_PORT", get("dns-port") ?? "53"),
    subnetPool,
    caddyBin: get("caddy-bin"),
    hostsFile: get("hosts-file") || undefined,
    corednsBin: get("coredns-bin"),
    healthIntervalMs: healthInterval * 1000,
    reconcileIntervalMs: reconcileInterval * 1000,
    prefix,
    dockerHost: env.DOCKER_HOST,
    healthTimeoutMs: healthTimeout * 1000,
    rateLimitPerMinute: rateLimit,
    logLevel: get("log-level") ?? "info",
    acme: acmeEmail === undefined ? undefined : { email: acmeEmail, ca: acmeCa },
  };
}

/** Loopback binds serve plain HTTP; anything else serves TLS. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}
