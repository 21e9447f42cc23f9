import type { ImageInfo } from "../runtime/runtime.ts";

/** What apps ask images/ (who may run what, pulls): the tenant's view of the engine's images. */
export interface AppImages {
  /** The image a tenant may run by this reference, or undefined (missing and not-yours read the same). */
  usable(tenant: string, reference: string): Promise<ImageInfo | undefined>;
  /** The image a deploy runs: usable already, else pulled now with the tenant's credentials; throws a "not found". */
  forDeploy(tenant: string, reference: string): Promise<ImageInfo>;
  /** The exact bytes an earlier release ran, when the tenant may still run them. */
  usableById(tenant: string, id: string): Promise<ImageInfo | undefined>;
}
