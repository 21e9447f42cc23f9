import { formatBytes, type QuotaLimits } from "@minicloud/shared";
import type { Logger } from "pino";
import type { EventBus } from "../events/bus.ts";
import type { BuiltinRegistry } from "./builtin-registry.ts";

/** One event of the registry's notification envelope (only what is read here). */
interface RegistryEvent {
  action?: string;
  target?: { mediaType?: string; repository?: string; digest?: string; tag?: string; size?: number };
}

const MANIFEST_TYPES = new Set([
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
]);

export interface PushDeps {
  registry: BuiltinRegistry;
  events: EventBus;
  quotaOf: (tenant: string) => QuotaLimits;
  /** The tenant's storage measured now: volumes, snapshots, images on the engine and in the registry. */
  storageOf: (tenant: string) => Promise<number>;
  logger: Logger;
}

/**
 * Pushed manifests, as the registry notifies them (so pushes through the ingress, `docker push` on
 * the host and mcd's own pushes of built images are all seen, after the manifest landed — a token
 * with push rights only says a push may come). Each is `image.pushed`; one that takes its tenant over
 * the storage limit is deleted again and is `quota.rejected` instead.
 */
export class Pushes {
  private readonly deps: PushDeps;

  constructor(deps: PushDeps) {
    this.deps = deps;
  }

  async handle(envelope: { events?: RegistryEvent[] }): Promise<void> {
    for (const event of envelope.events ?? []) {
      const target = event.target;
      if (event.action !== "push" || !target?.repository || !target.digest || !MANIFEST_TYPES.has(target.mediaType ?? "")) continue;
      const tenant = target.repository.split("/")[0] ?? "";
      if (!target.repository.includes("/")) continue;
      await this.pushed(tenant, target.repository, target.digest, target.tag ?? null);
    }
  }

  private async pushed(tenant: string, repository: string, digest: string, tag: string | null): Promise<void> {
    const { registry, events } = this.deps;
    const reference = `registry/${repository}${tag ? `:${tag}` : `@${digest}`}`;
    let limit: number;
    try {
      limit = this.deps.quotaOf(tenant).maxStorage;
    } catch {
      // No such tenant (deleted since its token was issued): nothing of it may stay.
      await registry.deleteManifest(repository, digest);
      return;
    }
    if (tag) await registry.tagged(repository, tag, digest);
    const storage = await this.deps.storageOf(tenant);
    if (storage > limit) {
      await registry.deleteManifest(repository, digest);
      await this.deps.storageOf(tenant); // measured again without it
      this.deps.logger.info({ tenant, repository, digest }, "a pushed image took its tenant over the storage limit; deleted");
      events.publish({
        tenant,
        type: "quota.rejected",
        message: `${reference} was deleted from the registry: it would bring tenant ${tenant}'s storage to ${formatBytes(storage)}, over its limit of ${formatBytes(limit)}`,
        data: { image: reference, digest, storage, limit },
      });
      return;
    }
    events.publish({
      tenant,
      type: "image.pushed",
      message: `${reference} was pushed to the built-in registry`,
      data: { image: reference, repository, tag, digest },
    });
  }
}
