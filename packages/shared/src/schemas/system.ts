import { z } from "zod";

/** A supervised external process (Caddy, CoreDNS) as the daemon sees it. */
export const componentSchema = z.object({
  name: z.string(),
  state: z.enum(["starting", "running", "backoff", "stopped"]),
  pid: z.number().nullable(),
  restarts: z.number(),
  lastExit: z.object({ code: z.number().nullable(), signal: z.string().nullable(), at: z.string() }).nullable(),
});
export type Component = z.infer<typeof componentSchema>;

export const healthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  version: z.string(),
  engine: z.enum(["up", "down"]),
  components: z.object({ ingress: componentSchema, dns: componentSchema }),
});

export const ingressCaSchema = z.object({ certificate: z.string() });
export type IngressCa = z.infer<typeof ingressCaSchema>;
export type Health = z.infer<typeof healthSchema>;

export const whoamiSchema = z.object({
  role: z.enum(["admin", "tenant"]),
  tenant: z.string(),
  keyId: z.string().nullable(),
  transport: z.enum(["unix", "tcp"]),
});
export type Whoami = z.infer<typeof whoamiSchema>;
