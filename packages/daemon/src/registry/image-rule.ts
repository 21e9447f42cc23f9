import type { ImageInfo } from "../runtime/runtime.ts";
import type { State } from "../store/schema.ts";
import { registryReference } from "./references.ts";

/**
 * The built-in registry's access rule: an image under its `<tenant>/` namespace is that tenant's
 * and nobody else's — whatever other rule might say of the same bytes (a tenant that pushed a
 * published image under its own name does not lend that name to others). And only bytes the tenant
 * pulled from the registry count: a copy the engine holds under that name for another reason (a
 * `docker tag` on the host, an image since deleted from the registry for the quota, a deleted
 * tenant's pull) is pulled again, which the registry answers for this tenant alone.
 */
export function builtInRegistryRule(port: number, state: () => Readonly<State>) {
  return {
    name: "built-in registry",
    claims: (reference: string): boolean => registryReference(reference, port) !== undefined,
    allows: (tenant: string, reference: string, image: ImageInfo): boolean =>
      registryReference(reference, port)?.tenant === tenant && state().pulledImages.some((p) => p.tenant === tenant && p.id === image.id),
  };
}
