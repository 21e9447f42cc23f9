import { isServing } from "../apps/records.ts";
import type { DnsRecord } from "../dns/zone-file.ts";
import type { IngressRoute } from "../ingress/caddy-config.ts";
import type { AppRecord, DomainRecord } from "../store/schema.ts";

export interface Exposure {
  routes: IngressRoute[];
  /** Per tenant, the `<app>` → IP records of its `.internal` zone. */
  records: Map<string, DnsRecord[]>;
}

export function ingressHost(app: string, tenant: string, domain: string): string {
  return `${app}.${tenant}.${domain}`;
}

/**
 * What the ingress and DNS should serve, derived from desired state alone: running apps, their
 * instances that have an address and are not known to be unhealthy, and their custom domains on
 * the same routes. Pure, so it is unit-tested.
 */
export function exposureOf(
  apps: AppRecord[],
  tenants: string[],
  domain: string,
  isUnhealthy: (instanceId: string) => boolean,
  domains: readonly DomainRecord[] = [],
): Exposure {
  const customHosts = customHostsByApp(domains);
  const routeOf = (app: AppRecord, port: number): IngressRoute => {
    const route: IngressRoute = {
      host: ingressHost(app.name, app.tenant, domain),
      upstreamName: `${app.name}.${app.tenant}.internal`,
      port,
    };
    const hosts = customHosts.get(appKey(app.tenant, app.name));
    if (hosts) route.customHosts = hosts;
    return route;
  };
  const routes: IngressRoute[] = [];
  const records = new Map<string, DnsRecord[]>(tenants.map((t) => [t, []]));
  for (const app of apps) {
    if (isFirstDeploy(app) && isHttp(app)) {
      // Routed while its first instances start: Caddy's reload (which grows with the number of
      // routes) overlaps container start-up instead of adding to the deploy. Until the instances
      // pass their health check the name has no records, so the host is not served yet.
      routes.push(routeOf(app, app.spec.port));
      continue;
    }
    if (!isServing(app)) continue;
    const live = app.instances.filter((i) => i.ip && !isUnhealthy(i.id)).map((i) => i.ip as string);
    // A host is routed while it has an instance to send to; otherwise it gets the 404 page.
    if (isHttp(app) && live.length > 0) {
      routes.push(routeOf(app, app.spec.port));
    }
    const tenantRecords = records.get(app.tenant) ?? [];
    for (const ip of live) tenantRecords.push({ name: app.name, ip });
    records.set(app.tenant, tenantRecords);
  }
  return { routes, records };
}

/** Only HTTP apps with a port get an ingress host; TCP apps are reached by name inside the tenant. */
function isHttp(app: AppRecord): app is AppRecord & { spec: { port: number } } {
  return app.spec.port !== undefined && app.spec.protocol !== "tcp";
}

function isFirstDeploy(app: AppRecord): boolean {
  return app.phase === "deploying" && app.desired === "running" && app.operation?.kind === "deploy";
}

/** Tenant and app names cannot contain "/", so the key is unambiguous. */
function appKey(tenant: string, app: string): string {
  return `${tenant}/${app}`;
}

/** Per app, its custom host names, sorted so the config does not depend on the order they were added. */
function customHostsByApp(domains: readonly DomainRecord[]): Map<string, string[]> {
  const byApp = new Map<string, string[]>();
  for (const record of domains) {
    const key = appKey(record.tenant, record.app);
    byApp.set(key, [...(byApp.get(key) ?? []), record.hostname]);
  }
  for (const hosts of byApp.values()) hosts.sort();
  return byApp;
}
