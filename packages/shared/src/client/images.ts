import type { Readable } from "node:stream";
import type {
  ImageList,
  PruneResult,
  PublishedImage,
  PublishedList,
  PullPolicy,
  RegistryCredential,
  RegistryCredentialList,
  RegistryLogin,
} from "../schemas/images.ts";
import type { Ok, Query, Transport } from "./transport.ts";

/** A tenant's images: pulls, the list, prune; publishing host images (admin). */
export class ImagesClient {
  private readonly transport: Transport;
  private readonly scope: () => Query;

  constructor(transport: Transport, scope: () => Query) {
    this.transport = transport;
    this.scope = scope;
  }

  /** Pulls through the registry with the tenant's credentials; the answer is NDJSON PullLines. */
  pull(image: string, pull: PullPolicy = "missing"): Promise<Readable> {
    return this.transport.stream("POST", "/v1/images/pull", { body: { image, pull }, query: this.scope() });
  }

  list(): Promise<ImageList> {
    return this.transport.json<ImageList>("GET", "/v1/images", { query: this.scope() });
  }

  prune(): Promise<PruneResult> {
    return this.transport.json<PruneResult>("POST", "/v1/images/prune", { query: this.scope() });
  }

  published(): Promise<PublishedList> {
    return this.transport.json<PublishedList>("GET", "/v1/images/published");
  }

  publish(image: string): Promise<PublishedImage> {
    return this.transport.json<PublishedImage>("POST", "/v1/images/published", { body: { image } });
  }

  unpublish(image: string): Promise<Ok> {
    return this.transport.json<Ok>("DELETE", "/v1/images/published", { query: { image } });
  }
}

/** A tenant's registry credentials: verified on login, stored sealed, never sent back. */
export class RegistryClient {
  private readonly transport: Transport;
  private readonly scope: () => Query;

  constructor(transport: Transport, scope: () => Query) {
    this.transport = transport;
    this.scope = scope;
  }

  login(host: string, credentials: RegistryLogin): Promise<RegistryCredential> {
    return this.transport.json<RegistryCredential>("PUT", `/v1/registry/credentials/${encodeURIComponent(host)}`, {
      body: credentials,
      query: this.scope(),
    });
  }

  list(): Promise<RegistryCredentialList> {
    return this.transport.json<RegistryCredentialList>("GET", "/v1/registry/credentials", { query: this.scope() });
  }

  logout(host: string): Promise<Ok> {
    return this.transport.json<Ok>("DELETE", `/v1/registry/credentials/${encodeURIComponent(host)}`, { query: this.scope() });
  }
}
