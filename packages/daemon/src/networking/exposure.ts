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
    if (!isServing(app)) continue;
    const live = app.instances.filter((i) => i.ip && !isUnhealthy(i.id)).map((i) => i.ip as string);
    // A host is routed while it has an instance to send to; otherwise it gets the 404 page.
    if (app.spec.port !== undefined && live.length > 0) {
      routes.push({
        host: ingressHost(app.name, app.tenant, domain),
        upstreamName: `${app.name}.${app.tenant}.internal`,
        port: app.spec.port,
      });
    }
    const tenantRecords = records.get(app.tenant) ?? [];
    for (const ip of live) tenantRecords.push({ name: app.name, ip });
    records.set(app.tenant, tenantRecords);
  }
  return { routes, records };
}
