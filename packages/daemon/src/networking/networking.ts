import type { CertificateIssuer } from "@minicloud/shared";
import type { Logger } from "pino";
import { Coalescer } from "../common/coalescer.ts";
import type { TenantDns } from "../dns/tenant-dns.ts";
import type { EventBus } from "../events/bus.ts";
import type { HostFirewall } from "../firewall/host-firewall.ts";
import { certificateIssuer } from "../ingress/certificates.ts";
import type { Ingress } from "../ingress/ingress.ts";
import type { Runtime, TenantNetwork } from "../runtime/runtime.ts";
import type { AppRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import type { ProcessStatus } from "../supervisor/supervised-process.ts";
import { type Exposure, exposureOf, ingressHost } from "./exposure.ts";
import { HealthMonitor, type HealthTransition } from "./health-monitor.ts";
import type { HostsFile } from "./hosts-file.ts";

const PUBLISH_RETRY_MS = 1000;

export interface NetworkingSettings {
  domain: string;
  httpPort: number;
  httpsPort: number;
  healthIntervalMs: number;
  /** Whether ACME is configured for public custom domains. */
  acme?: boolean;
}

export interface AppUrls {
  http: string;
  https: string;
}

/**
 * Keeps the ingress routes and tenant DNS records equal to what desired state says should be served.
 * Every change recomputes the whole picture (cheap: no engine calls) and pushes only what differs.
 */
export class Networking {
  private readonly store: Store;
  private readonly runtime: Runtime;
  private readonly ingress: Ingress;
  private readonly dns: TenantDns;
  private readonly settings: NetworkingSettings;
  private readonly logger: Logger;
  private readonly health: HealthMonitor;
  private readonly publisher: Coalescer;
  private readonly hostsFile: HostsFile | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly events: EventBus | undefined;
  private readonly firewall: HostFirewall | undefined;
  private readonly isDown: (instanceId: string) => boolean;

  constructor(deps: {
    store: Store;
    runtime: Runtime;
    ingress: Ingress;
    dns: TenantDns;
    hostsFile?: HostsFile | undefined;
    events?: EventBus | undefined;
    /** Fences tenant networks off the host; started by the daemon before any app. */
    firewall?: HostFirewall | undefined;
    /** Instances self-healing knows are down (crashed, restart pending). */
    isDown?: (instanceId: string) => boolean;
    settings: NetworkingSettings;
    logger: Logger;
  }) {
    this.hostsFile = deps.hostsFile;
    this.store = deps.store;
    this.runtime = deps.runtime;
    this.ingress = deps.ingress;
    this.dns = deps.dns;
    this.settings = deps.settings;
    this.logger = deps.logger;
    this.events = deps.events;
    this.firewall = deps.firewall;
    this.isDown = deps.isDown ?? (() => false);
    this.health = new HealthMonitor(deps.store, deps.settings.healthIntervalMs, (transitions) => {
      void this.publish();
      for (const transition of transitions) this.announce(transition);
    });
    this.publisher = new Coalescer(() => this.apply());
  }

  /** Starts CoreDNS and Caddy, then serves what the state says (a daemon restart rebuilds everything). */
  async start(): Promise<void> {
    // CoreDNS may be one an earlier daemon left serving: its zones get the records they should
    // have straight away, never an empty zone first.
    await this.dns.start(await this.runtime.listNetworks(), this.exposure().records);
    await this.ingress.start();
    await this.publish();
    this.health.start();
  }

  /** Stops Caddy and CoreDNS (`mc daemon stop --all` does this from outside, by their pid files). */
  async stop(): Promise<void> {
    this.quiesce();
    await Promise.all([this.ingress.stop(), this.dns.stop()]);
  }

  /** A daemon's shutdown: Caddy and CoreDNS keep serving every app's URL, for the next daemon to adopt. */
  detach(): void {
    this.quiesce();
    this.ingress.detach();
    this.dns.detach();
  }

  /** A failed start: what this daemon started is stopped, what it adopted keeps serving. */
  async release(): Promise<void> {
    this.quiesce();
    await Promise.all([this.ingress.release(), this.dns.release()]);
  }

  private quiesce(): void {
    this.health.stop();
    clearTimeout(this.retry);
  }

  status(): { ingress: ProcessStatus; dns: ProcessStatus } {
    return { ingress: this.ingress.status(), dns: this.dns.status() };
  }

  /** Whether tenant networks are fenced off the host (see firewall/). */
  hostFirewall(): "active" | "off" {
    return this.firewall?.active ? "active" : "off";
  }

  /** A tenant network exists: its resolver must answer, and its fence hold, before containers are created on it. */
  async attachNetwork(network: TenantNetwork): Promise<void> {
    await Promise.all([this.dns.addNetwork(network), this.firewall?.addNetwork(network)]);
  }

  async detachNetwork(tenant: string): Promise<void> {
    await Promise.all([this.dns.removeNetwork(tenant), this.firewall?.removeNetwork(tenant)]);
  }

  /**
   * Pushes routes and records for the current state; resolves when both are served. Failures are
   * logged, not thrown: a supervised process that is restarting gets everything once it is back.
   */
  async publish(): Promise<void> {
    try {
      await this.publisher.run();
    } catch (error) {
      this.logger.warn({ err: error }, "could not publish routes and DNS records; retrying in 1s");
      clearTimeout(this.retry);
      this.retry = setTimeout(() => void this.publish(), PUBLISH_RETRY_MS);
      this.retry.unref();
    }
  }

  urls(tenant: string, app: string): AppUrls {
    return this.hostUrls(ingressHost(app, tenant, this.settings.domain));
  }

  /** The ingress URLs of any host it serves: an app's own, or a custom domain. */
  hostUrls(host: string): AppUrls {
    const { httpPort, httpsPort } = this.settings;
    return {
      http: `http://${host}${httpPort === 80 ? "" : `:${httpPort}`}`,
      https: `https://${host}${httpsPort === 443 ? "" : `:${httpsPort}`}`,
    };
  }

  /** Who signs a custom domain's certificate (the same rule the ingress config follows). */
  certificateOf(host: string): CertificateIssuer {
    return certificateIssuer(host, this.settings.acme ?? false);
  }

  rootCertificate(): Promise<string> {
    return this.ingress.rootCertificate();
  }

  private announce(transition: HealthTransition): void {
    const app = this.store.state.apps.find((a) => a.instances.some((i) => i.id === transition.instanceId));
    if (!app || !this.events) return;
    this.events.publish({
      tenant: app.tenant,
      app: app.name,
      instance: transition.instanceId,
      release: app.release,
      type: transition.healthy ? "instance.healthy" : "instance.unhealthy",
      message: transition.healthy
        ? `instance ${transition.instanceId} of ${app.name} passes its health check again; back in the pool`
        : `instance ${transition.instanceId} of ${app.name} fails its health check (${healthCheckOf(app.spec)}); out of the pool`,
    });
  }

  private async apply(): Promise<void> {
    const exposure = this.exposure();
    await Promise.all([
      this.ingress.setRoutes(exposure.routes),
      this.hostsFile?.set(exposure.routes.map((r) => r.host)),
      ...[...exposure.records].map(([tenant, records]) => this.dns.setRecords(tenant, records)),
    ]);
  }

  private exposure(): Exposure {
    const { state } = this.store;
    return exposureOf(
      state.apps,
      state.tenants.map((t) => t.name),
      this.settings.domain,
      (id) => this.health.isUnhealthy(id) || this.isDown(id),
      state.domains,
    );
  }
}

function healthCheckOf(spec: AppRecord["spec"]): string {
  return spec.protocol === "tcp" ? `TCP connect to port ${spec.port}` : `HTTP ${spec.healthPath} on port ${spec.port}`;
}
