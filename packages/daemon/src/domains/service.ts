import {
  ApiError,
  type AppDomain,
  type CertificateIssuer,
  type Domain,
  MAX_DOMAINS_PER_TENANT,
  normalizeHostname,
} from "@minicloud/shared";
import type { AppDomains } from "../apps/domains-port.ts";
import { requireAnyApp } from "../apps/records.ts";
import type { AppUrls } from "../apps/view.ts";
import type { EventBus } from "../events/bus.ts";
import type { AppRecord, DomainRecord, State } from "../store/schema.ts";
import type { Store } from "../store/store.ts";

/** What domains need from networking: publishing the routes, and a host's URLs and certificate issuer. */
export interface DomainNetworking {
  publish(): Promise<void>;
  hostUrls(host: string): AppUrls;
  certificateOf(host: string): CertificateIssuer;
}

export interface DomainServiceDeps {
  store: Store;
  events: EventBus;
  networking: DomainNetworking;
  /** The platform's zone (MC_DOMAIN): its names are the apps' own, never a tenant's custom domain. */
  domain: string;
  maxPerTenant?: number;
}

/**
 * Custom domains: host names a tenant routes to one of its apps, next to `<app>.<tenant>.<domain>`.
 * A name belongs to one app of one tenant. Every check and the write happen in one store change,
 * so two tenants racing for a name cannot both get it, and an app being destroyed cannot gain one.
 */
export class DomainService implements AppDomains {
  private readonly deps: DomainServiceDeps;

  constructor(deps: DomainServiceDeps) {
    this.deps = deps;
  }

  /** The tenant's domains, or one app's (an unknown app is not_found), by host name. */
  list(tenant: string, app?: string): Domain[] {
    if (app !== undefined) requireAnyApp(this.deps.store.state, tenant, app);
    return this.recordsOf(tenant, app).map((d) => this.view(d));
  }

  ofApp(tenant: string, app: string): AppDomain[] {
    return this.recordsOf(tenant, app).map((record) => {
      const { hostname, url, httpsUrl, certificate } = this.view(record);
      return { hostname, url, httpsUrl, certificate };
    });
  }

  private recordsOf(tenant: string, app: string | undefined): DomainRecord[] {
    return this.deps.store.state.domains
      .filter((d) => d.tenant === tenant && (app === undefined || d.app === app))
      .sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  /**
   * Routes `hostname` (already normalised by the schema) to the app; adding the same name to the
   * same app again changes nothing (`created: false`), so a deploy script may run it every time.
   */
  async add(tenant: string, request: { app: string; hostname: string }): Promise<{ domain: Domain; created: boolean }> {
    const { app: name, hostname } = request;
    this.assertOutsidePlatformZones(hostname);
    const max = this.deps.maxPerTenant ?? MAX_DOMAINS_PER_TENANT;
    const outcome = await this.deps.store.update((state) => {
      const app = requireAnyApp(state, tenant, name);
      assertRoutable(app);
      const taken = state.domains.find((d) => d.hostname === hostname);
      if (taken?.tenant === tenant && taken.app === name) return { record: taken, created: false };
      if (taken?.tenant === tenant) {
        throw new ApiError(
          "conflict",
          `${hostname} already routes to app ${taken.app} — move it with \`mc domains remove ${hostname}\`, then add it to ${name}`,
        );
      }
      // Which tenant holds it is that tenant's business.
      if (taken) throw new ApiError("conflict", `${hostname} is already in use`);
      const count = state.domains.filter((d) => d.tenant === tenant).length;
      if (count >= max) {
        throw new ApiError(
          "quota_exceeded",
          `tenant ${tenant} has ${count} custom domains, the most a tenant may have (${max}) — remove one with \`mc domains remove HOST\``,
        );
      }
      const record: DomainRecord = { hostname, tenant, app: name, createdAt: new Date().toISOString() };
      state.domains.push(record);
      return { record, created: true };
    });
    if (!outcome.created) return { domain: this.view(outcome.record), created: false };
    // Like a deploy: the route is in place when the call returns.
    await this.deps.networking.publish();
    const domain = this.view(outcome.record);
    this.deps.events.publish({
      tenant,
      app: name,
      type: "domain.added",
      message: `${hostname} now routes to ${name} (certificate: ${domain.certificate === "acme" ? "ACME" : "the ingress CA"})`,
      data: { hostname, certificate: domain.certificate },
    });
    return { domain, created: true };
  }

  /** Stops routing a host name of the tenant; another tenant's (or no one's) is not_found. */
  async remove(tenant: string, hostname: string): Promise<void> {
    const host = normalizeHostname(hostname);
    const record = await this.deps.store.update((state) => {
      const found = state.domains.find((d) => d.hostname === host && d.tenant === tenant);
      if (!found) throw new ApiError("not_found", `domain ${host} not found in tenant ${tenant} — see \`mc domains list\``);
      state.domains = state.domains.filter((d) => d !== found);
      return found;
    });
    await this.deps.networking.publish();
    this.announceRemoved(record, `${host} no longer routes to ${record.app}`);
  }

  dropWith(state: State, tenant: string, app: string): () => void {
    const dropped = state.domains.filter((d) => d.tenant === tenant && d.app === app);
    if (dropped.length === 0) return () => undefined;
    state.domains = state.domains.filter((d) => !dropped.includes(d));
    return () => {
      for (const record of dropped) this.announceRemoved(record, `${record.hostname} removed with app ${app}`);
    };
  }

  private announceRemoved(record: DomainRecord, message: string): void {
    this.deps.events.publish({
      tenant: record.tenant,
      app: record.app,
      type: "domain.removed",
      message,
      data: { hostname: record.hostname },
    });
  }

  /** `*.<MC_DOMAIN>` are the apps' own names and `*.internal` the tenant networks': neither is a tenant's to claim. */
  private assertOutsidePlatformZones(hostname: string): void {
    const { domain } = this.deps;
    const zones = [
      [domain, `apps answer at <app>.<tenant>.${domain} on their own`],
      ["internal", "it names apps inside tenant networks"],
    ] as const;
    for (const [zone, why] of zones) {
      if (hostname === zone || hostname.endsWith(`.${zone}`)) {
        throw new ApiError("conflict", `${hostname} is under ${zone}, the platform's own zone (${why}) — use a domain you own`);
      }
    }
  }

  private view(record: DomainRecord): Domain {
    const urls = this.deps.networking.hostUrls(record.hostname);
    return {
      hostname: record.hostname,
      app: record.app,
      tenant: record.tenant,
      url: urls.http,
      httpsUrl: urls.https,
      certificate: this.deps.networking.certificateOf(record.hostname),
      createdAt: record.createdAt,
    };
  }
}

/** Only HTTP apps are behind the ingress; a first deploy in flight may still vanish (and must not leave a name behind). */
function assertRoutable(app: AppRecord): void {
  if (app.spec.port === undefined || app.spec.protocol === "tcp") {
    throw new ApiError(
      "conflict",
      `${app.name} has no HTTP port (${app.spec.port === undefined ? "no --port" : `TCP on port ${app.spec.port}`}): the ingress routes HTTP only — deploy it with an HTTP --port to give it a domain`,
    );
  }
  if (app.phase === "deploying") {
    throw new ApiError("conflict", `${app.name} is still being deployed for the first time — add the domain once the deploy has finished`);
  }
}
