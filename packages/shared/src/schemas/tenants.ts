import { z } from "zod";
import { nameSchema } from "../names.ts";
import { quotaLimitsSchema, quotaUpdateSchema, quotaUsageSchema } from "./quota.ts";

export const tenantCreateSchema = z.object({ name: nameSchema, quota: quotaUpdateSchema.optional() }).strict();
export type TenantCreate = z.input<typeof tenantCreateSchema>;

export const tenantSchema = z.object({
  name: z.string(),
  createdAt: z.string(),
  limits: quotaLimitsSchema,
  usage: quotaUsageSchema,
  apps: z.number(),
  keys: z.number(),
});
export type Tenant = z.infer<typeof tenantSchema>;

export const tenantListSchema = z.object({ tenants: z.array(tenantSchema) });

export const createdKeySchema = z.object({
  id: z.string(),
  /** The key itself: returned once, never stored. */
  key: z.string(),
  tenant: z.string(),
  role: z.enum(["admin", "tenant"]),
  name: z.string(),
  expiresAt: z.string().nullable(),
});
export type CreatedKey = z.infer<typeof createdKeySchema>;

export const tenantCreatedSchema = z.object({ tenant: tenantSchema, apiKey: createdKeySchema });
export type TenantCreated = z.infer<typeof tenantCreatedSchema>;
