import { z } from "zod";
import { checkMountPath } from "../mount-rules.ts";
import { nameSchema } from "../names.ts";
import { sizeSchema } from "../units.ts";

/** ext4 needs room for its own structures; below this a volume holds almost nothing. */
export const MIN_VOLUME_BYTES = 16 * 1024 ** 2;
export const MAX_VOLUME_BYTES = 1024 * 1024 ** 3;
export const MAX_VOLUMES_PER_APP = 8;
export const MAX_NOTE_LENGTH = 200;

export const volumeNameSchema = nameSchema;
export const volumeSizeSchema = sizeSchema(MIN_VOLUME_BYTES, MAX_VOLUME_BYTES);

export const volumeMountSchema = z
  .object({
    name: volumeNameSchema,
    path: z.string().superRefine((path, ctx) => {
      const problem = checkMountPath(path);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
  })
  .strict();
export type VolumeMount = z.infer<typeof volumeMountSchema>;

/** The volumes of a deploy: each named once, each path used once. */
export const volumeMountsSchema = z
  .array(volumeMountSchema)
  .max(MAX_VOLUMES_PER_APP)
  .superRefine((mounts, ctx) => {
    const names = new Set<string>();
    const paths = new Set<string>();
    for (const [i, mount] of mounts.entries()) {
      if (names.has(mount.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `volume ${mount.name} is mounted twice` });
      if (paths.has(mount.path)) ctx.addIssue({ code: "custom", path: [i, "path"], message: `two volumes at ${mount.path}` });
      names.add(mount.name);
      paths.add(mount.path);
    }
  });

/** A new empty volume of `size`, or (`fromSnapshot`) a new volume holding a snapshot's data, at its volume's size. */
export const volumeCreateSchema = z
  .object({ name: volumeNameSchema, size: volumeSizeSchema.optional(), fromSnapshot: z.string().min(1).max(64).optional() })
  .strict()
  .refine((value) => (value.size === undefined) !== (value.fromSnapshot === undefined), {
    message: "give either size (a new empty volume) or fromSnapshot (a copy of a snapshot)",
  });
export type VolumeCreate = z.input<typeof volumeCreateSchema>;

export const volumeExtendSchema = z.object({ size: volumeSizeSchema }).strict();

/** How a volume's size holds: a file system of its own (hard), or tracked and reported only (soft). */
export const volumeEnforcementSchema = z.enum(["hard", "soft"]);

export const snapshotSchema = z.object({
  id: z.string(),
  volume: z.string(),
  createdAt: z.string(),
  /** Compressed bytes on disk: what counts against the storage quota. */
  bytes: z.number(),
  kind: z.enum(["manual", "scheduled", "safety", "import"]),
  note: z.string().nullable(),
  /** How long the volume's writes were held for a consistent copy. */
  pauseMs: z.number().nullable(),
});
export type Snapshot = z.infer<typeof snapshotSchema>;

export const volumeScheduleSchema = z.object({
  cron: z.string(),
  keep: z.number(),
  nextRunAt: z.string().nullable(),
  lastRunAt: z.string().nullable(),
  lastError: z.string().nullable(),
});
export type VolumeSchedule = z.infer<typeof volumeScheduleSchema>;

export const volumeSchema = z.object({
  name: z.string(),
  tenant: z.string(),
  size: z.number(),
  /** Bytes in use on its file system; null while it is not mounted. */
  used: z.number().nullable(),
  enforcement: volumeEnforcementSchema,
  /** The app that mounts it, and where. */
  attachedTo: z.object({ app: z.string(), path: z.string() }).nullable(),
  state: z.enum(["ready", "creating", "importing", "restoring"]),
  snapshots: z.number(),
  snapshotBytes: z.number(),
  lastSnapshotAt: z.string().nullable(),
  schedule: volumeScheduleSchema.nullable(),
  createdAt: z.string(),
});
export type Volume = z.infer<typeof volumeSchema>;

export const volumeListSchema = z.object({ volumes: z.array(volumeSchema) });
export const snapshotListSchema = z.object({ snapshots: z.array(snapshotSchema) });

export const snapshotCreateSchema = z.object({ note: z.string().max(MAX_NOTE_LENGTH).optional() }).strict();
export const volumeRestoreSchema = z.object({ snapshot: z.string().min(1).max(64) }).strict();
export const volumeForkSchema = z.object({ name: volumeNameSchema }).strict();

export const scheduleRequestSchema = z
  .object({
    cron: z.string().min(1).max(100),
    keep: z.number().int().min(1).max(100),
  })
  .strict();

/** `POST /v1/volumes/:name/import?size=…`: the size is checked against the quota before any byte is read. */
export const volumeImportQuerySchema = z.object({ size: volumeSizeSchema }).strict();
