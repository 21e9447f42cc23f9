import type { ImageInfo, Runtime } from "../runtime/runtime.ts";
import type { State } from "../store/schema.ts";

/**
 * One reason a tenant may run an image. The rules are a list so another source of images can add
 * its own without touching the others — e.g. the built-in registry: "images under the built-in
 * registry's `<tenant>/` namespace are that tenant's" is one more rule, added with
 * `ImageAccess.addRule` where the registry is wired (daemon.ts).
 */
export interface ImageAccessRule {
  /** Short, for logs and docs: "built", "pulled", "published". */
  readonly name: string;
  allows(tenant: string, reference: string, image: ImageInfo): boolean;
  /**
   * A rule that claims a reference has the only word on it (the built-in registry's `<tenant>/`
   * namespaces: no other rule lends one tenant's name to another, even for published bytes).
   */
  claims?(reference: string): boolean;
}

/** "busybox" and "docker.io/library/busybox:latest" name what the engine lists as "busybox:latest". */
export function normalized(reference: string): string {
  const bare = reference.replace(/^docker\.io\/(library\/)?/, "");
  const lastPart = bare.slice(bare.lastIndexOf("/") + 1);
  return lastPart.includes(":") || lastPart.includes("@") ? bare : `${bare}:latest`;
}

/**
 * Who may run what (docs/images.md): a tenant runs what it built, what it pulled through a
 * registry with its own access, and what the admin published to all tenants. Everything else on
 * the engine is answered exactly like a missing image, so names do not leak.
 */
export class ImageAccess {
  private readonly runtime: Runtime;
  private readonly rules: ImageAccessRule[];

  constructor(runtime: Runtime, rules: ImageAccessRule[]) {
    this.runtime = runtime;
    this.rules = [...rules];
  }

  /** The hook for other image sources (the built-in registry's tenant namespaces). */
  addRule(rule: ImageAccessRule): void {
    this.rules.push(rule);
  }

  /**
   * The image a tenant may run (or build on) by this reference, or undefined — the same answer for
   * one that is missing and one that is not the tenant's. Only by name: the engine also resolves an
   * id prefix ("3f"), which would reach any image on the host.
   */
  async usable(tenant: string, reference: string): Promise<ImageInfo | undefined> {
    const image = await this.runtime.inspectImage(reference);
    if (!image?.names.includes(normalized(reference))) return undefined;
    // Another tenant's build is never anyone else's, whatever other rule might say.
    if (image.tenant !== null && image.tenant !== tenant) return undefined;
    const claiming = this.rules.find((rule) => rule.claims?.(reference));
    if (claiming) return claiming.allows(tenant, reference, image) ? image : undefined;
    return this.rules.some((rule) => rule.allows(tenant, reference, image)) ? image : undefined;
  }

  /** The exact bytes a release ran (its image id), when the tenant may still run them. */
  async usableById(tenant: string, id: string): Promise<ImageInfo | undefined> {
    if (!/^sha256:[0-9a-f]{64}$/.test(id)) return undefined;
    const image = await this.runtime.inspectImage(id);
    if (!image || image.id !== id) return undefined;
    if (image.tenant !== null && image.tenant !== tenant) return undefined;
    return this.rules.some((rule) => rule.allows(tenant, id, image)) ? image : undefined;
  }
}

/** Its own builds (the daemon labels them with the tenant). */
export const BUILT_BY_TENANT: ImageAccessRule = {
  name: "built",
  allows: (tenant, _reference, image) => image.tenant === tenant,
};

/** Bytes the tenant pulled through a registry with its own access (another tenant's pull grants nothing). */
export function pulledByTenant(state: () => Readonly<State>): ImageAccessRule {
  return {
    name: "pulled",
    allows: (tenant, _reference, image) => state().pulledImages.some((p) => p.tenant === tenant && p.id === image.id),
  };
}

/** Host images the admin published (`mc images publish`), or that setup labelled `minicloud.published`. */
export function publishedToAll(state: () => Readonly<State>): ImageAccessRule {
  return {
    name: "published",
    allows: (_tenant, _reference, image) =>
      image.tenant === null && (image.published === true || state().publishedImages.some((p) => p.id === image.id)),
  };
}
