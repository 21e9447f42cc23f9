import { z } from "zod";

export const healthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  version: z.string(),
  engine: z.enum(["up", "down"]),
});
export type Health = z.infer<typeof healthSchema>;

export const whoamiSchema = z.object({
  role: z.enum(["admin", "tenant"]),
  tenant: z.string(),
  keyId: z.string().nullable(),
  transport: z.enum(["unix", "tcp"]),
});
export type Whoami = z.infer<typeof whoamiSchema>;
