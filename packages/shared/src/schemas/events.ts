import { z } from "zod";

export const EVENT_TYPES = [
  "deploy.started",
  "deploy.succeeded",
  "deploy.failed",
  "deploy.rolled_back",
  "app.started",
  "app.stopped",
  "app.destroyed",
  "app.scaled",
  "app.restarted",
  "app.crash_looping",
  "instance.started",
  "instance.crashed",
  /** A missing instance could not be started again (a secret that does not open, an image gone). */
  "instance.start_failed",
  "instance.restarted",
  "instance.unhealthy",
  "instance.healthy",
  /** An app that wrote into its root filesystem (--writable-rootfs) took its tenant over the storage limit and was stopped. */
  "instance.disk_exceeded",
  "quota.rejected",
  "volume.created",
  "volume.extended",
  "volume.deleted",
  "volume.snapshot_created",
  "volume.snapshot_failed",
  "volume.snapshots_pruned",
  "volume.restored",
  "domain.added",
  "domain.removed",
  /** A manifest landed in the built-in registry under the tenant's namespace (`docker push`, or a build's copy). */
  "image.pushed",
] as const;

/**
 * One state change, scoped to a tenant. It carries what a dashboard needs to render it (app,
 * instance, release, a human message, and details) without another call.
 */
export const eventSchema = z.object({
  id: z.number(),
  time: z.string(),
  tenant: z.string(),
  app: z.string().nullable(),
  instance: z.string().nullable(),
  release: z.number().nullable(),
  type: z.enum(EVENT_TYPES),
  message: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type PlatformEvent = z.infer<typeof eventSchema>;
export type EventType = (typeof EVENT_TYPES)[number];

export const eventListSchema = z.object({ events: z.array(eventSchema) });

export const eventsQuerySchema = z
  .object({
    app: z.string().max(64).optional(),
    follow: z.enum(["true", "false"]).default("false"),
    /** Only events after this id (resume a stream). */
    after: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(100),
  })
  .strict();
