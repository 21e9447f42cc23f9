import { z } from "zod";
import { sizeSchema } from "../units.ts";

export const DEFAULT_QUOTA = {
  maxInstances: 10,
  maxCpus: 4,
  maxMemory: 4 * 1024 ** 3,
  maxStorage: 10 * 1024 ** 3,
  /** Apps, running or not: each keeps its releases and env in state. */
  maxApps: 50,
} as const;

export const quotaLimitsSchema = z.object({
  maxInstances: z.number(),
  maxCpus: z.number(),
  maxMemory: z.number(),
  maxStorage: z.number(),
  maxApps: z.number(),
});
export type QuotaLimits = z.infer<typeof quotaLimitsSchema>;

export const quotaUsageSchema = z.object({
  instances: z.number(),
  cpus: z.number(),
  memory: z.number(),
  /** Volume sizes plus snapshot bytes: what the storage limit counts. */
  storage: z.number(),
  /** The two parts of `storage`. */
  volumes: z.number().optional(),
  snapshots: z.number().optional(),
  /** Bytes written into writable root filesystems (--writable-rootfs), last sampled; part of `storage`. */
  writableLayers: z.number().optional(),
  /** Bytes of the tenant's images on the engine (its builds; each image's whole size), last sized; part of `storage`. */
  images: z.number().optional(),
  /** Bytes of the tenant's stored logs; capped per tenant by the daemon's MC_LOG_BYTES_PER_TENANT, not part of `storage`. */
  logs: z.number().optional(),
  /** Apps, whatever their count: what `maxApps` counts. */
  apps: z.number().optional(),
});
export type QuotaUsage = z.infer<typeof quotaUsageSchema>;

export const quotaSchema = z.object({ tenant: z.string(), limits: quotaLimitsSchema, usage: quotaUsageSchema });
export type Quota = z.infer<typeof quotaSchema>;

const cpuLimitSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = String(value).trim();
  if (!/^\d{1,4}(\.\d{1,2})?$/.test(text) || Number(text) <= 0 || Number(text) > 1024) {
    ctx.addIssue({ code: "custom", message: "must be a number of CPUs above 0 and at most 1024, two decimals at most" });
    return z.NEVER;
  }
  return Number(text);
});

/** Admin overrides; every field optional, every given field checked. */
export const quotaUpdateSchema = z
  .object({
    maxInstances: z.number().int().min(0).max(10_000).optional(),
    maxCpus: cpuLimitSchema.optional(),
    maxMemory: sizeSchema(0, 16 * 1024 ** 4).optional(),
    maxStorage: sizeSchema(0, 64 * 1024 ** 4).optional(),
    maxApps: z.number().int().min(0).max(10_000).optional(),
  })
  .strict();
export type QuotaUpdate = z.input<typeof quotaUpdateSchema>;
