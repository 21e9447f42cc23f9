import { ApiError, canonicalReference, formatBytes, type PulledImage, type PullPolicy, parseImageReference } from "@minicloud/shared";
import type { Logger } from "pino";
import { type ImageInfo, PullFailedError, type PullProgress, type Runtime } from "../runtime/runtime.ts";
import type { Store } from "../store/store.ts";
import type { ImageAccess } from "./access.ts";
import type { RegistryCredentials } from "./credentials.ts";
import { RegistryError, type ResolvedManifest, resolveManifest } from "./registry-api.ts";

export interface ImagePullsDeps {
  store: Store;
  runtime: Runtime;
  access: ImageAccess;
  credentials: RegistryCredentials;
  /** The tenant's storage with its images sized again (volumes, snapshots, builds, pulls) and its limit. */
  storage: (tenant: string) => Promise<{ volumes: number; images: number; limit: number }>;
  /** Writes out a short form (`registry/<tenant>/<name>:tag`: the built-in registry) as the engine names it. */
  expand?: (reference: string) => string;
  logger: Logger;
}

/**
 * Pulls on behalf of a tenant. The registry is asked first, with the tenant's own credentials:
 * that answer, not what the engine already holds, is the proof the tenant may have the image.
 * Only then does the engine pull (with the same credentials), and the tenant's pull is recorded.
 */
export class ImagePulls {
  private readonly deps: ImagePullsDeps;

  constructor(deps: ImagePullsDeps) {
    this.deps = deps;
  }

  async pull(
    tenant: string,
    reference: string,
    policy: PullPolicy,
    onProgress: (progress: PullProgress) => void = () => undefined,
    signal?: AbortSignal,
  ): Promise<PulledImage> {
    const { runtime, store } = this.deps;
    reference = this.deps.expand?.(reference) ?? reference;
    if (policy === "missing") {
      const usable = await this.deps.access.usable(tenant, reference);
      if (usable) return this.summary(tenant, reference, usable, false);
    }
    const parsed = parseImageReference(reference);
    const canonical = canonicalReference(parsed);
    const credentials = this.deps.credentials.for(tenant, parsed.registry);
    let manifest: ResolvedManifest;
    try {
      manifest = await resolveManifest(parsed, credentials, signal);
    } catch (error) {
      throw this.failure(reference, error, signal);
    }
    const { digest } = manifest;
    // What the registry says it weighs (compressed: the image takes at least that) is checked before a byte comes.
    if (manifest.bytes !== null)
      await this.assertRoom(tenant, manifest.bytes, `the image is ${formatBytes(manifest.bytes)} compressed`, "nothing was pulled");
    if (parsed.digest && parsed.digest !== digest)
      throw notFound(reference, `registry ${parsed.registry} serves other bytes under that digest`);
    try {
      const auth = credentials ? { ...credentials, serveraddress: parsed.registry } : undefined;
      await runtime.pullImage(canonical, auth, onProgress, signal);
    } catch (error) {
      throw this.failure(reference, error, signal);
    }
    const pinned = canonicalReference({ ...parsed, tag: null, digest });
    const image = (await runtime.inspectImage(pinned)) ?? (await runtime.inspectImage(canonical));
    if (!image?.id) throw new ApiError("internal", `the engine pulled ${reference} but does not list it — see the daemon log`);
    const record = { tenant, reference: canonical, digest, id: image.id, size: image.size ?? 0, pulledAt: new Date().toISOString() };
    await store.update((state) => {
      state.pulledImages = [
        ...state.pulledImages.filter((p) => !(p.tenant === tenant && p.reference === canonical && p.id === image.id)),
        record,
      ];
    });
    await this.checkStorage(tenant, record.id, canonical);
    this.deps.logger.info({ tenant, image: canonical, digest, id: image.id }, "image pulled");
    return { reference: canonical, digest, id: image.id, size: record.size, pulled: true };
  }

  /** Over the storage limit, the pull is undone (its record, and the bytes when nobody else has them). */
  private async checkStorage(tenant: string, id: string, reference: string): Promise<void> {
    try {
      await this.assertRoom(tenant, 0, "the pulled image", "the pull was undone");
    } catch (error) {
      await this.deps.store.update((state) => {
        state.pulledImages = state.pulledImages.filter((p) => !(p.tenant === tenant && p.id === id));
      });
      const state = this.deps.store.state;
      if (!state.pulledImages.some((p) => p.id === id) && !state.publishedImages.some((p) => p.id === id))
        await this.deps.runtime.removeImage(reference);
      await this.deps.storage(tenant);
      throw error;
    }
  }

  /** The tenant's storage (its images sized again) with `more` bytes on top stays within its limit. */
  private async assertRoom(tenant: string, more: number, what: string, outcome: string): Promise<void> {
    const { volumes, images, limit } = await this.deps.storage(tenant);
    if (volumes + images + more <= limit) return;
    throw new ApiError(
      "quota_exceeded",
      `${what} would bring tenant ${tenant}'s storage to ${formatBytes(volumes + images + more)} (volumes and snapshots ${formatBytes(volumes)}, images ${formatBytes(images + more)}), over its limit of ${formatBytes(limit)}; ${outcome} — prune images (mc images prune) or ask for a larger quota`,
    );
  }

  private summary(tenant: string, reference: string, image: ImageInfo, pulled: boolean): PulledImage {
    const record = this.deps.store.state.pulledImages.find((p) => p.tenant === tenant && p.id === image.id);
    return { reference, digest: record?.digest ?? null, id: image.id ?? "", size: image.size ?? 0, pulled };
  }

  private failure(reference: string, error: unknown, signal: AbortSignal | undefined): Error {
    if (signal?.aborted) return new ApiError("conflict", `the pull of ${reference} was cancelled; nothing was kept`);
    if (error instanceof RegistryError) return notFound(reference, error.message);
    if (error instanceof PullFailedError) return notFound(reference, `the engine could not pull it: ${error.message}`);
    return error as Error;
  }
}

/**
 * Everything a registry says no to reads like a missing image (the same code and words as an image
 * no rule lets the tenant run), with the registry's reason, which names the registry.
 */
export function notFound(reference: string, reason?: string): ApiError {
  return new ApiError(
    "invalid_input",
    `image ${reference} was not found on the engine${reason ? `, and ${reason}` : ""} — build it first (docker build -t ${reference} .), check the name, or log in to its registry (mc registry login HOST)`,
    [{ field: "image", message: "not found" }],
  );
}
