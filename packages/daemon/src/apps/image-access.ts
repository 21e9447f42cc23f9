import type { ImageInfo, Runtime } from "../runtime/runtime.ts";

/** "busybox" and "docker.io/library/busybox:latest" name what the engine lists as "busybox:latest". */
function normalized(reference: string): string {
  const bare = reference.replace(/^docker\.io\/(library\/)?/, "");
  const lastPart = bare.slice(bare.lastIndexOf("/") + 1);
  return lastPart.includes(":") || lastPart.includes("@") ? bare : `${bare}:latest`;
}

/**
 * The image a tenant may run (or build on) by this reference, or undefined — the same answer for
 * one that is missing and one that is not the tenant's, so names do not leak. Only by name: the
 * engine also resolves an id prefix ("3f"), which would reach any image on the host.
 */
export async function usableImage(runtime: Runtime, tenant: string, reference: string): Promise<ImageInfo | undefined> {
  const image = await runtime.inspectImage(reference);
  if (!image || (image.tenant !== null && image.tenant !== tenant)) return undefined;
  return image.names.includes(normalized(reference)) ? image : undefined;
}
