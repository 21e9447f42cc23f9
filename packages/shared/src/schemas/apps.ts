import { z } from "zod";
import { appNameSchema } from "../names.ts";
import { cpusSchema, durationSchema, memorySchema } from "../units.ts";

export const DEFAULT_MEMORY = "256m";
export const DEFAULT_CPUS = 0.5;
export const MAX_INSTANCES_PER_APP = 50;

const envKeySchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, {
  message: "env names must be letters, digits and '_', not starting with a digit",
});

/**
 * What a user may ask for when deploying. Strict: any other key (Privileged, Binds, NetworkMode,
 * CapAdd, …) is rejected, so no raw Docker option can reach the engine.
 */
export const deployRequestSchema = z
  .object({
    name: appNameSchema,
    image: z
      .string()
      .min(1, { message: "is required" })
      .max(255)
      .regex(/^[a-z0-9][a-z0-9._\-/:@]*$/, { message: "must be an image reference such as minicloud/hello:latest" }),
    port: z.number().int().min(1).max(65535).optional(),
    count: z.number().int().min(0).max(MAX_INSTANCES_PER_APP).default(1),
    memory: memorySchema.prefault(DEFAULT_MEMORY),
    cpus: cpusSchema.default(DEFAULT_CPUS),
    env: z.record(envKeySchema, z.string().max(32_768)).default({}),
    command: z.array(z.string().max(4096)).max(64).optional(),
    healthPath: z
      .string()
      .regex(/^\/[\x21-\x7e]*$/, { message: "must be a path starting with '/'" })
      .default("/"),
    readOnlyRootfs: z.boolean().default(true),
  })
  .strict();
export type DeployRequest = z.input<typeof deployRequestSchema>;
export type AppSpec = z.output<typeof deployRequestSchema>;

export const instanceStateSchema = z.enum(["starting", "running", "stopped", "exited", "crash-looping", "missing"]);

export const instanceSchema = z.object({
  id: z.string(),
  state: instanceStateSchema,
  health: z.enum(["healthy", "unhealthy", "unknown"]),
  restarts: z.number(),
  startedAt: z.string().nullable(),
  url: z.string().nullable(),
  cpuPercent: z.number().nullable(),
  memoryBytes: z.number().nullable(),
});
export type Instance = z.infer<typeof instanceSchema>;

export const appSchema = z.object({
  name: z.string(),
  tenant: z.string(),
  image: z.string(),
  port: z.number().nullable(),
  count: z.number(),
  memory: z.number(),
  cpus: z.number(),
  envKeys: z.array(z.string()),
  healthPath: z.string(),
  readOnlyRootfs: z.boolean(),
  desired: z.enum(["running", "stopped"]),
  /** The release that serves now. */
  release: z.number(),
  /** A deploy or scale in flight. */
  operation: z.enum(["deploy", "scale"]).nullable(),
  /** `http://<app>.<tenant>.<domain>` through the ingress, while the app runs and has a port. */
  url: z.string().nullable(),
  httpsUrl: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  instances: z.array(instanceSchema),
});
export type App = z.infer<typeof appSchema>;

/** Change the number of instances in place, or their resources (a rolling deploy). */
export const scaleRequestSchema = z
  .object({
    count: z.number().int().min(0).max(MAX_INSTANCES_PER_APP).optional(),
    memory: memorySchema.optional(),
    cpus: cpusSchema.optional(),
  })
  .strict()
  .refine((value) => value.count !== undefined || value.memory !== undefined || value.cpus !== undefined, {
    message: "give at least one of count, memory, cpus",
  });
export type ScaleRequest = z.input<typeof scaleRequestSchema>;
export type ScaleChange = z.output<typeof scaleRequestSchema>;

export const releaseSchema = z.object({
  version: z.number(),
  image: z.string(),
  count: z.number(),
  memory: z.number(),
  cpus: z.number(),
  status: z.enum(["active", "superseded", "failed"]),
  /** The release this one restored, for a rollback. */
  rollbackOf: z.number().nullable(),
  createdAt: z.string(),
  reason: z.string().nullable(),
});
export type Release = z.infer<typeof releaseSchema>;
export const releaseListSchema = z.object({ releases: z.array(releaseSchema) });

export const rollbackRequestSchema = z.object({ version: z.number().int().min(1).optional() }).strict();

export const appListSchema = z.object({ apps: z.array(appSchema) });
export type AppList = z.infer<typeof appListSchema>;

export const logsQuerySchema = z
  .object({
    follow: z.enum(["true", "false"]).default("false"),
    tail: z.coerce.number().int().min(0).max(100_000).optional(),
    since: durationSchema.optional(),
  })
  .strict();
