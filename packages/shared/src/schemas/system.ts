import { z } from "zod";

/** A supervised external process (Caddy, CoreDNS) as the daemon sees it. */
export const componentSchema = z.object({
  name: z.string(),
  state: z.enum(["starting", "running", "backoff", "stopped"]),
  pid: z.number().nullable(),
  restarts: z.number(),
  lastExit: z.object({ code: z.number().nullable(), signal: z.string().nullable(), at: z.string() }).nullable(),
  /** Taken over from an earlier daemon (it kept serving while mcd restarted) rather than started by this one. */
  adopted: z.boolean(),
});
export type Component = z.infer<typeof componentSchema>;

export const healthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  version: z.string(),
  engine: z.enum(["up", "down"]),
  /** The built-in registry (docker-registry) is supervised like Caddy and CoreDNS. */
  components: z.object({ ingress: componentSchema, dns: componentSchema, registry: componentSchema }),
  /** Whether tenant networks are fenced off the host (MC_HOST_FIREWALL; see docs/security.md). */
  hostFirewall: z.enum(["active", "off"]),
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

/** One daemon setting as the running daemon uses it, and where the value came from. Never a secret. */
export const daemonSettingSchema = z.object({
  /** The flag name, which is also the key in mcd.toml ("hosts-file"). */
  key: z.string(),
  env: z.string(),
  /** null: unset (off, or found on PATH). */
  value: z.string().nullable(),
  source: z.enum(["flag", "env", "file", "default"]),
  /** The settings file the value came from (source "file"). */
  file: z.string().nullable(),
});
export type DaemonSetting = z.infer<typeof daemonSettingSchema>;

export const daemonSettingsSchema = z.object({
  settings: z.array(daemonSettingSchema),
  /** The settings files, highest precedence first; `loaded` when the file exists. */
  files: z.array(z.object({ path: z.string(), loaded: z.boolean() })),
});
export type DaemonSettings = z.infer<typeof daemonSettingsSchema>;
