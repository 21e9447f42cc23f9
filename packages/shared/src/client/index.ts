import type { DaemonSettings, Health, IngressCa, Whoami } from "../schemas/system.ts";
import { AccountClient, TenantsClient } from "./admin.ts";
import { AppsClient } from "./apps.ts";
import { DomainsClient } from "./domains.ts";
import type { Endpoint } from "./endpoint.ts";
import { ImagesClient, RegistryClient } from "./images.ts";
import { MetricsClient } from "./metrics.ts";
import { SecretsClient } from "./secrets.ts";
import { Transport } from "./transport.ts";
import { VolumesClient } from "./volumes.ts";
import { WebhooksClient } from "./webhooks.ts";

export * from "../exec-protocol.ts";
export * from "./admin.ts";
export * from "./apps.ts";
export * from "./domains.ts";
export * from "./endpoint.ts";
export * from "./images.ts";
export * from "./metrics.ts";
export * from "./secrets.ts";
export * from "./socket.ts";
export * from "./tls.ts";
export * from "./transport.ts";
export * from "./volumes.ts";
export * from "./webhooks.ts";

export interface ClientOptions extends Endpoint {
  /** The tenant an admin acts on; ignored for tenant keys (the daemon scopes them). */
  tenant?: string | undefined;
}

/** The typed minicloud API client shared by the CLI, the dashboard and the tests. */
export class MinicloudClient {
  readonly transport: Transport;
  readonly apps: AppsClient;
  readonly tenants: TenantsClient;
  readonly account: AccountClient;
  readonly domains: DomainsClient;
  readonly volumes: VolumesClient;
  readonly secrets: SecretsClient;
  readonly webhooks: WebhooksClient;
  readonly images: ImagesClient;
  readonly registry: RegistryClient;
  readonly metrics: MetricsClient;

  constructor(options: ClientOptions) {
    this.transport = new Transport(options);
    const scope = () => (options.tenant ? { tenant: options.tenant } : {});
    this.apps = new AppsClient(this.transport, scope);
    this.tenants = new TenantsClient(this.transport);
    this.account = new AccountClient(this.transport, scope);
    this.domains = new DomainsClient(this.transport, scope);
    this.volumes = new VolumesClient(this.transport, scope);
    this.secrets = new SecretsClient(this.transport, scope);
    this.webhooks = new WebhooksClient(this.transport, scope);
    this.images = new ImagesClient(this.transport, scope);
    this.registry = new RegistryClient(this.transport, scope);
    this.metrics = new MetricsClient(this.transport, scope);
  }

  health(): Promise<Health> {
    return this.transport.json<Health>("GET", "/healthz");
  }

  ingressCa(): Promise<IngressCa> {
    return this.transport.json<IngressCa>("GET", "/v1/ingress/ca");
  }

  /** The daemon's effective settings and their sources (admin). */
  daemonSettings(): Promise<DaemonSettings> {
    return this.transport.json<DaemonSettings>("GET", "/v1/system/settings");
  }

  whoami(): Promise<Whoami> {
    return this.transport.json<Whoami>("GET", "/v1/whoami");
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
