import { z } from "zod";
import { checkImageReference, checkRegistryHost, IMAGE_RULE, REGISTRY_HOST_RULE } from "../image-rules.ts";

export const imageReferenceSchema = z
  .string()
  .min(1, { message: "is required" })
  .refine((reference) => checkImageReference(reference) === undefined, { message: IMAGE_RULE });

/** `missing`: pull only what the tenant cannot run yet; `always`: ask the registry again (a moved tag). */
export const pullPolicySchema = z.enum(["always", "missing"]);
export type PullPolicy = z.infer<typeof pullPolicySchema>;

/** `POST /v1/images/pull`: the answer streams progress as NDJSON (PullLine). */
export const pullRequestSchema = z.object({ image: imageReferenceSchema, pull: pullPolicySchema.optional() }).strict();
export type PullRequest = z.infer<typeof pullRequestSchema>;

/** What a pull left: the image the tenant may now run. */
export const pulledImageSchema = z.object({
  reference: z.string(),
  /** The registry's manifest digest (null for an image that needed no pull: built or published). */
  digest: z.string().nullable(),
  /** The engine's image id (its config digest): the exact bytes a release runs. */
  id: z.string(),
  size: z.number(),
  /** False when the tenant could already run it (policy `missing`). */
  pulled: z.boolean(),
});
export type PulledImage = z.infer<typeof pulledImageSchema>;

/**
 * One NDJSON line of a pull: a layer's progress (bytes so far of its total, when the registry
 * says), then either `done` or `error` as the last line.
 */
export const pullLineSchema = z.union([
  z.object({
    type: z.literal("progress"),
    layer: z.string(),
    status: z.string(),
    current: z.number().nullable(),
    total: z.number().nullable(),
  }),
  z.object({ type: z.literal("done"), image: pulledImageSchema }),
  z.object({ type: z.literal("error"), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type PullLine = z.infer<typeof pullLineSchema>;

export const imageSummarySchema = z.object({
  /** The names the tenant uses for it. */
  references: z.array(z.string()),
  id: z.string(),
  digest: z.string().nullable(),
  size: z.number(),
  /** How the tenant got it: its own build, or a pull through a registry. */
  source: z.enum(["built", "pulled"]),
  /** Kept releases that run it (`app:version`): `mc images prune` keeps these. */
  releases: z.array(z.string()),
});
export type ImageSummary = z.infer<typeof imageSummarySchema>;
export const imageListSchema = z.object({ images: z.array(imageSummarySchema) });
export type ImageList = z.infer<typeof imageListSchema>;

export const pruneResultSchema = z.object({
  removed: z.array(z.object({ references: z.array(z.string()), id: z.string(), size: z.number() })),
  reclaimedBytes: z.number(),
});
export type PruneResult = z.infer<typeof pruneResultSchema>;

/** `POST /v1/images/published` (admin): a host image every tenant may run. */
export const publishRequestSchema = z.object({ image: imageReferenceSchema }).strict();
export const publishedImageSchema = z.object({ reference: z.string(), id: z.string(), publishedAt: z.string() });
export type PublishedImage = z.infer<typeof publishedImageSchema>;
export const publishedListSchema = z.object({ images: z.array(publishedImageSchema) });
export type PublishedList = z.infer<typeof publishedListSchema>;

export const registryHostSchema = z.string().refine((host) => checkRegistryHost(host) === undefined, { message: REGISTRY_HOST_RULE });

/** `PUT /v1/registry/credentials/:host`: verified against the registry before it is stored (sealed). */
export const registryLoginSchema = z
  .object({
    username: z.string().min(1, { message: "is required" }).max(255),
    password: z.string().min(1, { message: "is required" }).max(4096),
  })
  .strict();
export type RegistryLogin = z.infer<typeof registryLoginSchema>;

/** A stored credential: never its password. */
export const registryCredentialSchema = z.object({ host: z.string(), username: z.string(), createdAt: z.string() });
export type RegistryCredential = z.infer<typeof registryCredentialSchema>;
export const registryCredentialListSchema = z.object({ credentials: z.array(registryCredentialSchema) });
export type RegistryCredentialList = z.infer<typeof registryCredentialListSchema>;
