import { z } from "zod";

/**
 * `mc.toml`, the app's settings in its repository. Keys are snake_case like the rest of TOML;
 * values are checked by the deploy schema once merged with the command line, which wins.
 */
export const manifestSchema = z
  .object({
    app: z.string().optional(),
    image: z.string().optional(),
    port: z.number().int().optional(),
    protocol: z.enum(["http", "tcp"]).optional(),
    count: z.number().int().optional(),
    memory: z.string().optional(),
    cpus: z.union([z.number(), z.string()]).optional(),
    env: z.record(z.string(), z.string()).optional(),
    command: z.union([z.string(), z.array(z.string())]).optional(),
    health_path: z.string().optional(),
    /** Seconds a new instance may take to pass its health check. */
    health_timeout: z.number().int().optional(),
    writable_rootfs: z.boolean().optional(),
    /** `[[volumes]]` tables: `name = "data"`, `path = "/var/lib/data"`. */
    volumes: z.array(z.object({ name: z.string(), path: z.string() }).strict()).optional(),
    /** Names of secrets the app needs (`mc secrets set`): a deploy without them fails before anything starts. */
    secrets: z.array(z.string()).optional(),
  })
  .strict();
export type Manifest = z.infer<typeof manifestSchema>;
