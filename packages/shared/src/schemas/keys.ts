import { z } from "zod";

export const keyCreateSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, { message: "must be 1-64 letters, digits, spaces, '.', '_' or '-'" })
      .default("key"),
    role: z.enum(["admin", "tenant"]).default("tenant"),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();
export type KeyCreate = z.input<typeof keyCreateSchema>;

export const keyInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(["admin", "tenant"]),
  tenant: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type KeyInfo = z.infer<typeof keyInfoSchema>;
export const keyListSchema = z.object({ keys: z.array(keyInfoSchema) });
