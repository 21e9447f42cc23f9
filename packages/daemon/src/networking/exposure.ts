import { isServing } from "../apps/records.ts";
import type { DnsRecord } from "../dns/zone-file.ts";
import type { IngressRoute } from "../ingress/caddy-config.ts";
import type { AppRecord } from "../store/schema.ts";

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
 * instances that have an address and are not known to be unhealthy. Pure, so it is unit-tested.
 */
export function exposureOf(apps: AppRecord[], tenants: string[], domain: string, isUnhealthy: (instanceId: string) => boolean): Exposure {
  const routes: IngressRoute[] = [];
  const records = new Map<string, DnsRecord[]>(tenants.map((t) => [t, []]));
  for (const app of apps) {
    if (isFirstDeploy(app) && app.spec.port !== undefined) {
      // Routed while its first instances start: Caddy's reload (which grows with the number of
      // routes) overlaps container start-up instead of adding to the deploy. Until the instances
      // pass their health check the name has no records, so the host is not served yet.
      routes.push(routeOf(app, app.spec.port, domain));
      continue;
    }
    if (!isServing(app)) continue;
    const live = app.instances.filter((i) => i.ip && !isUnhealthy(i.id)).map((i) => i.ip as string);
    // A host is routed while it has an instance to send to; otherwise it gets the 404 page.
    if (app.spec.port !== undefined && live.length > 0) {
      routes.push(routeOf(app, app.spec.port, domain));
    }
    const tenantRecords = records.get(app.tenant) ?? [];
    for (const ip of live) tenantRecords.push({ name: app.name, ip });
    records.set(app.tenant, tenantRecords);
  }
  return { routes, records };
}

function isFirstDeploy(app: AppRecord): boolean {
  return app.phase === "deploying" && app.desired === "running" && app.operation?.kind === "deploy";
}

function routeOf(app: AppRecord, port: number, domain: string): IngressRoute {
  return { host: ingressHost(app.name, app.tenant, domain), upstreamName: `${app.name}.${app.tenant}.internal`, port };
}
