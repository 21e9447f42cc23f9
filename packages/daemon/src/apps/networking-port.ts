import type { TenantNetwork } from "../runtime/runtime.ts";
import type { AppUrls } from "./view.ts";

/** What apps need from networking: tenant resolvers, published routes and records, URLs. */
export interface AppNetworking {
  attachNetwork(network: TenantNetwork): Promise<void>;
  detachNetwork(tenant: string): Promise<void>;
  /** Serves the current desired state on the ingress and in DNS; resolves once it is served. */
  publish(): Promise<void>;
  urls(tenant: string, app: string): AppUrls;
}
