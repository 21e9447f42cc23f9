import {
  ApiError,
  canonicalReference,
  type ImageSummary,
  type PruneResult,
  type PublishedImage,
  type PullLine,
  type PullPolicy,
  parseImageReference,
} from "@minicloud/shared";
import type { Logger } from "pino";
import { LineOutbox } from "../common/line-outbox.ts";
import type { ImageInfo, Runtime } from "../runtime/runtime.ts";
import type { State } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import type { ImageAccess } from "./access.ts";
import { type ImagePulls, notFound } from "./pulls.ts";

export interface ImageServiceDeps {
  store: Store;
  runtime: Runtime;
  access: ImageAccess;
  pulls: ImagePulls;
  /** A short form of a reference made whole (the built-in registry's `registry/<tenant>/…`), as a deploy does. */
  expand?: (reference: string) => string;
  /** Sizes the tenant's images again after a prune. */
  refreshBytes: (tenant: string) => Promise<unknown>;
  logger: Logger;
}

/** A tenant's images: what it may run, pulls with progress, the list, prune; the admin's published images. */
export class ImageService {
  private readonly deps: ImageServiceDeps;

  constructor(deps: ImageServiceDeps) {
    this.deps = deps;
  }

  /**
   * The image a deploy runs: one the tenant may run already, else pulled now (policy `missing`,
   * without progress: the CLI pulls first, with it). A refusal reads like a missing image.
   */
  async forDeploy(tenant: string, reference: string): Promise<ImageInfo> {
    const usable = await this.deps.access.usable(tenant, reference);
    if (usable) return usable;
    await this.deps.pulls.pull(tenant, reference, "missing");
    const pulled = await this.deps.access.usable(tenant, reference);
    if (!pulled) throw notFound(reference);
    return pulled;
  }

  /** A pull's progress as NDJSON PullLines; the client going away cancels it (nothing is kept). */
  pullStream(tenant: string, requested: string, policy: PullPolicy): LineOutbox {
    const reference = this.deps.expand?.(requested) ?? requested;
    const out = new LineOutbox({ overflow: { drop: () => "" } });
    const write = (line: PullLine, last = false) => out.offer(JSON.stringify(line), last);
    const abort = new AbortController();
    const gone = () => abort.abort(new Error("the client went away"));
    out.once("close", gone);
    this.deps.pulls
      .pull(tenant, reference, policy, (p) => write({ type: "progress", ...p }), abort.signal)
      .then(
        (image) => write({ type: "done", image }, true),
        (error: Error) => {
          const code = error instanceof ApiError ? error.code : "internal";
          write({ type: "error", error: { code, message: error.message } }, true);
        },
      )
      .finally(() => {
        out.off("close", gone);
        out.finish();
      });
    return out;
  }

  /** The tenant's builds (on the engine) and pulls (in state), each with the kept releases that run it. */
  async list(tenant: string): Promise<ImageSummary[]> {
    const state = this.deps.store.state;
    const byId = new Map<string, ImageSummary>();
    for (const built of await this.deps.runtime.tenantImages(tenant)) {
      byId.set(built.id, { references: built.names, id: built.id, digest: null, size: built.size, source: "built", releases: [] });
    }
    for (const pulled of state.pulledImages.filter((p) => p.tenant === tenant)) {
      const known = byId.get(pulled.id);
      if (known) {
        if (!known.references.includes(pulled.reference)) known.references.push(pulled.reference);
        continue;
      }
      byId.set(pulled.id, {
        references: [pulled.reference],
        id: pulled.id,
        digest: pulled.digest,
        size: pulled.size,
        source: "pulled",
        releases: [],
      });
    }
    for (const image of byId.values()) image.releases = releasesUsing(state, tenant, image.id, image.references);
    return [...byId.values()].sort((a, b) => a.references[0]?.localeCompare(b.references[0] ?? "") ?? 0);
  }

  /** Removes the tenant's images no kept release (nor a deploy in flight) runs; a rollback keeps working. */
  async prune(tenant: string): Promise<PruneResult> {
    const removed: PruneResult["removed"] = [];
    for (const image of await this.list(tenant)) {
      // Read again per image: a deploy may have begun meanwhile.
      if (releasesUsing(this.deps.store.state, tenant, image.id, image.references).length > 0) continue;
      if (image.source === "pulled") {
        await this.deps.store.update((state) => {
          state.pulledImages = state.pulledImages.filter((p) => !(p.tenant === tenant && p.id === image.id));
        });
        const state = this.deps.store.state;
        // The bytes stay while another tenant's pull, a published record or any app still has them.
        const elsewhere =
          state.pulledImages.some((p) => p.id === image.id) ||
          state.publishedImages.some((p) => p.id === image.id) ||
          state.apps.some((a) => releasesUsing(state, a.tenant, image.id, image.references).length > 0);
        if (!elsewhere) await this.removeQuietly(image.id);
      } else {
        await this.removeQuietly(image.id);
      }
      removed.push({ references: image.references, id: image.id, size: image.size });
    }
    await this.deps.refreshBytes(tenant);
    this.deps.logger.info({ tenant, removed: removed.length }, "images pruned");
    return { removed, reclaimedBytes: removed.reduce((sum, r) => sum + r.size, 0) };
  }

  private async removeQuietly(id: string): Promise<void> {
    await this.deps.runtime
      .removeImage(id)
      .catch((error) => this.deps.logger.warn({ err: error, image: id }, "could not remove a pruned image"));
  }

  published(): PublishedImage[] {
    return this.deps.store.state.publishedImages;
  }

  /** Admin: every tenant may run these bytes. Only host images: a tenant's build or pull stays its own. */
  async publish(reference: string): Promise<PublishedImage> {
    const image = await this.deps.runtime.inspectImage(reference);
    const name = canonicalReference(parseImageReference(reference));
    if (!image?.id || !image.names.includes(name)) throw new ApiError("not_found", `image ${reference} is not on the engine`);
    if (image.tenant !== null || this.deps.store.state.pulledImages.some((p) => p.id === image.id))
      throw new ApiError("conflict", `image ${reference} belongs to a tenant (built or pulled by one); publish host images only`);
    const record = { reference: name, id: image.id, publishedAt: new Date().toISOString() };
    await this.deps.store.update((state) => {
      state.publishedImages = [...state.publishedImages.filter((p) => p.reference !== name), record];
    });
    return record;
  }

  async unpublish(reference: string): Promise<void> {
    const name = canonicalReference(parseImageReference(reference));
    if (!this.deps.store.state.publishedImages.some((p) => p.reference === name))
      throw new ApiError("not_found", `image ${reference} is not published — see \`mc images published\``);
    await this.deps.store.update((state) => {
      state.publishedImages = state.publishedImages.filter((p) => p.reference !== name);
    });
  }

  /** Bytes of the tenant's pulls (each image once), for its storage. */
  pulledBytes(tenant: string): number {
    const sizes = new Map<string, number>();
    for (const p of this.deps.store.state.pulledImages) if (p.tenant === tenant) sizes.set(p.id, p.size);
    return [...sizes.values()].reduce((sum, size) => sum + size, 0);
  }

  /**
   * A deleted tenant's pulls go with it (inside the tenant's deletion), and afterwards the bytes
   * that nobody else holds (another tenant's pull, a published record, any app) leave the engine.
   */
  dropTenant(state: State, tenant: string): void {
    const ids = new Set(state.pulledImages.filter((p) => p.tenant === tenant).map((p) => p.id));
    state.pulledImages = state.pulledImages.filter((p) => p.tenant !== tenant);
    if (ids.size === 0) return;
    setImmediate(() => {
      const now = this.deps.store.state;
      const held = (id: string) =>
        now.pulledImages.some((p) => p.id === id) ||
        now.publishedImages.some((p) => p.id === id) ||
        now.apps.some((a) => a.releases.some((r) => r.digest === id));
      void (async () => {
        for (const id of ids) if (!held(id)) await this.removeQuietly(id);
      })();
    });
  }
}

/** `app:version` of the tenant's kept releases (and deploys in flight) that run this image. */
function releasesUsing(state: Readonly<State>, tenant: string, id: string, references: string[]): string[] {
  const uses = (spec: { image: string }, digest: string | undefined): boolean =>
    digest === id || (digest === undefined && references.includes(spec.image));
  const found: string[] = [];
  for (const app of state.apps) {
    if (app.tenant !== tenant) continue;
    for (const release of app.releases) if (uses(release.spec, release.digest)) found.push(`${app.name}:${release.version}`);
    if (app.operation && references.includes(app.operation.spec.image)) found.push(`${app.name}:${app.operation.version}`);
  }
  return found;
}
