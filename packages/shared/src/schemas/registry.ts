import { z } from "zod";

/** The Docker token protocol's query (GET /v1/registry/token), as the engine sends it. */
export const registryTokenQuerySchema = z.object({
  service: z.string().optional(),
  /** `repository:<tenant>/<name>:pull,push`; repeated for several. */
  scope: z.array(z.string()).optional(),
  account: z.string().optional(),
  offline_token: z.string().optional(),
  client_id: z.string().optional(),
});

/** A token the built-in registry accepts, scoped to what the caller may do (both names, as clients differ). */
export const registryTokenSchema = z.object({
  token: z.string(),
  access_token: z.string(),
  expires_in: z.number(),
  issued_at: z.string(),
});
export type RegistryToken = z.infer<typeof registryTokenSchema>;

/** The registry's notification envelope (only the built-in registry sends it). */
export const registryNotificationSchema = z.object({ events: z.array(z.record(z.string(), z.unknown())) });
