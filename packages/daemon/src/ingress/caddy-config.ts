import { ACCESS_LOGGER, accessLogging } from "./access-log.ts";
import { certificateIssuer } from "./certificates.ts";

/** One host on the ingress, and the DNS name whose A records are the instances behind it. */
export interface IngressRoute {
  host: string;
  /** The app's custom domains: more host names on the same route, served the same way. */
  customHosts?: string[] | undefined;
  /** `<app>.<tenant>.internal`, answered by CoreDNS on the host's resolver address. */
  upstreamName: string;
  port: number;
}

export interface CaddySettings {
  adminSocket: string;
  storageDir: string;
  httpPort: number;
  httpsPort: number;
  notFoundPage: string;
  /** CoreDNS on the host (`127.0.0.1:<MC_DNS_PORT>`), which Caddy asks for upstream addresses. */
  resolver: string;
  /** Set: public custom domains get their certificates from this ACME CA (Let's Encrypt by default). */
  acme?: AcmeSettings | undefined;
  /** Set: every request is logged to this file as a JSON line (per-app traffic metrics). */
  accessLog?: string | undefined;
  /** Set: `registry.<domain>` serves the built-in registry. */
  registry?: RegistryIngress | undefined;
}

/** The built-in registry behind the ingress, for pushes from other machines over HTTPS. */
export interface RegistryIngress {
  host: string;
  /** The registry on loopback (`127.0.0.1:5000`). */
  upstream: string;
  /** mcd's token endpoint, which the realm is rewritten to point at through this host (`unix//…/mcd.sock`). */
  tokenUpstream: string;
}

export interface AcmeSettings {
  email: string;
  /** The CA's directory URL; Caddy's default (Let's Encrypt) when unset. */
  ca?: string | undefined;
}

/** How long a request may keep trying other instances when one refuses (a crash, a rolling deploy). */
const TRY_DURATION = "5s";
/**
 * How often Caddy looks the instances up again. Deploys, scaling and crashes change DNS records
 * only, never Caddy's config, so no connection is dropped by a config reload; replaced instances
 * keep running longer than this (the drain) so requests sent to them still succeed.
 */
export const UPSTREAM_REFRESH_MS = 500;

/** The same in the bootstrap file and every pushed config, so a load never restarts the admin server. */
export function adminConfig(adminSocket: string): object {
  return { listen: `unix/${adminSocket}`, config: { persist: false } };
}

/**
 * Caddy's whole JSON config for a set of routes: pure, so it is unit-tested and a restarted Caddy
 * gets exactly the same config. HTTP and HTTPS share the routes; certificates come from Caddy's
 * internal CA, except for public custom domains when ACME is configured; unknown hosts get our 404 page.
 */
export function caddyConfig(settings: CaddySettings, routes: IngressRoute[]): object {
  const sorted = [...routes].sort((a, b) => a.host.localeCompare(b.host));
  const httpRoutes = [
    ...(settings.registry ? [registryRoute(settings.registry)] : []),
    ...sorted.map((route) => toCaddyRoute(route, settings.resolver)),
    notFoundRoute(settings.notFoundPage),
  ];
  return {
    admin: adminConfig(settings.adminSocket),
    logging: { logs: settings.accessLog ? accessLogging(settings.accessLog) : { default: { level: "WARN" } } },
    storage: { module: "file_system", root: settings.storageDir },
    apps: {
      pki: { certificate_authorities: { local: { name: "minicloud ingress CA", install_trust: false } } },
      tls: { automation: { policies: certificatePolicies(sorted, settings.acme) } },
      http: {
        http_port: settings.httpPort,
        https_port: settings.httpsPort,
        servers: {
          http: { listen: [`:${settings.httpPort}`], routes: httpRoutes, ...serverLogs(settings) },
          https: {
            listen: [`:${settings.httpsPort}`],
            routes: httpRoutes,
            ...serverLogs(settings),
            // HTTP/1.1 and HTTP/2 only: HTTP/3 would also hold a UDP port nobody asked for.
            protocols: ["h1", "h2"],
            // Plain HTTP keeps working: no redirects; certificates for every routed host.
            automatic_https: { disable_redirects: true },
          },
        },
      },
    },
  };
}

/** Access logs of every host to the access logger, when there is an access log. */
function serverLogs(settings: CaddySettings): object {
  return settings.accessLog ? { logs: { default_logger_name: ACCESS_LOGGER } } : {};
}

/**
 * Which CA signs which host: ACME for public custom domains when configured (first, as Caddy takes
 * the first policy whose subjects match), the internal CA for everything else, platform hosts included.
 */
function certificatePolicies(routes: IngressRoute[], acme: AcmeSettings | undefined): object[] {
  const internal = { issuers: [{ module: "internal" }] };
  const publicHosts = routes
    .flatMap((route) => route.customHosts ?? [])
    .filter((host) => certificateIssuer(host, acme !== undefined) === "acme");
  // Never an ACME policy without subjects: Caddy would apply it to every host.
  if (!acme || publicHosts.length === 0) return [internal];
  const issuer = { module: "acme", email: acme.email, ...(acme.ca ? { ca: acme.ca } : {}) };
  return [{ subjects: publicHosts.sort(), issuers: [issuer] }, internal];
}

function toCaddyRoute(route: IngressRoute, resolver: string): object {
  const hosts = [route.host, ...(route.customHosts ?? [])];
  return {
    // A fully qualified Host ("web.acme.cloud.local.") is the same host.
    match: [{ host: hosts.flatMap((host) => [host, `${host}.`]) }],
    handle: [
      {
        handler: "reverse_proxy",
        dynamic_upstreams: {
          source: "a",
          name: route.upstreamName,
          port: String(route.port),
          refresh: `${UPSTREAM_REFRESH_MS}ms`,
          resolver: { addresses: [resolver] },
        },
        load_balancing: { selection_policy: { policy: "round_robin" }, try_duration: TRY_DURATION, try_interval: "100ms" },
        health_checks: { passive: { fail_duration: "2s", max_fails: 1 } },
        // Streamed responses (server-sent events, chunked logs) reach the client as they are written.
        flush_interval: -1,
      },
    ],
    terminal: true,
  };
}

/**
 * `registry.<domain>`: the registry, with bodies of any size streamed through, and its token realm
 * (mcd's loopback URL) rewritten to this host, whose `/v1/registry/token` goes to mcd.
 */
function registryRoute(registry: RegistryIngress): object {
  const realm = 'realm="{http.request.scheme}://{http.request.hostport}/v1/registry/token"';
  return {
    match: [{ host: [registry.host, `${registry.host}.`] }],
    handle: [
      {
        handler: "subroute",
        routes: [
          {
            match: [{ path: ["/v1/registry/token"] }],
            handle: [{ handler: "reverse_proxy", upstreams: [{ dial: registry.tokenUpstream }] }],
          },
          {
            handle: [
              {
                handler: "reverse_proxy",
                upstreams: [{ dial: registry.upstream }],
                flush_interval: -1,
                headers: { response: { replace: { "Www-Authenticate": [{ search_regexp: 'realm="[^"]*"', replace: realm }] } } },
              },
            ],
          },
        ],
      },
    ],
    terminal: true,
  };
}

function notFoundRoute(page: string): object {
  return {
    handle: [
      {
        handler: "static_response",
        status_code: 404,
        headers: { "Content-Type": ["text/html; charset=utf-8"], "X-Minicloud": ["no-such-app"] },
        body: page,
      },
    ],
    terminal: true,
  };
}
