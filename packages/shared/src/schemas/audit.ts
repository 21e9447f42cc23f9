import { z } from "zod";

export const auditEntrySchema = z.object({
  seq: z.number(),
  ts: z.string(),
  requestId: z.string(),
  actor: z.object({
    /** `system`: the daemon on its own (a scheduled snapshot, say). */
    role: z.enum(["admin", "tenant", "anonymous", "system"]),
    tenant: z.string().nullable(),
    keyId: z.string().nullable(),
    transport: z.enum(["unix", "tcp", "internal"]),
    /** The client's address, on failed authentications over TCP (they are limited per address). */
    address: z.string().optional(),
  }),
  action: z.string(),
  tenant: z.string().nullable(),
  target: z.string().nullable(),
  outcome: z.object({ status: z.number(), code: z.string().nullable() }),
  /** An exec or console session: where it ran and what (never its input or output). */
  exec: z.object({ instance: z.string().nullable(), command: z.array(z.string()), tty: z.boolean() }).optional(),
  /**
   * This entry stands for `count` requests (failed authentications from one address within a window,
   * after the window's first, which has its own entry); its other fields are the last one's.
   */
  count: z.number().int().min(1).optional(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditVerifySchema = z.object({
  ok: z.boolean(),
  entries: z.number(),
  /** The first entry that does not fit the chain, and why. */
  brokenAt: z.number().nullable(),
  reason: z.string().nullable(),
});
export type AuditVerify = z.infer<typeof auditVerifySchema>;

export const auditQuerySchema = z
  .object({
    follow: z.enum(["true", "false"]).default("false"),
    tail: z.coerce.number().int().min(1).max(100_000).optional(),
  })
  .strict();
