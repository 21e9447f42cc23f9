import { z } from "zod";
import { checkImageReference, IMAGE_RULE } from "../image-rules.ts";
import { appNameSchema } from "../names.ts";
import { cpusSchema, durationSchema, durationSeconds, memorySchema } from "../units.ts";
import { appDomainSchema } from "./domains.ts";
import { type VolumeMount, volumeMountSchema, volumeMountsSchema } from "./volumes.ts";

export const DEFAULT_CPUS = 0.5;
export const MAX_INSTANCES_PER_APP = 50;

export const envKeySchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, {
  message: "env names must be letters, digits and '_', not starting with a digit",
});

/** An environment value: anything a process can be given, which excludes NUL (C strings end there). */
export const envValueSchema = z
  .string()
  .max(32_768)
  .refine((value) => !value.includes("\0"), { message: "must not contain a NUL byte" });

/** `http` apps are probed over HTTP and routed by the ingress; `tcp` apps get a TCP connect check and no route. */
export const protocolSchema = z.enum(["http", "tcp"]);
export type Protocol = z.infer<typeof protocolSchema>;

export const MIN_HEALTH_TIMEOUT_SECONDS = 1;
export const MAX_HEALTH_TIMEOUT_SECONDS = 3600;

/**
 * A deploy says what changes: every field left out keeps the value of the release that runs now
 * (a first deploy, or one with `reset`, starts from the defaults). `env` adds to or replaces the
 * current variables; `unsetEnv` removes some. Strict: any other key (Privileged, Binds,
 * NetworkMode, CapAdd, …) is rejected, so no raw Docker option can reach the engine.
 */
export const deployRequestSchema = z
  .object({
    name: appNameSchema,
    image: z
      .string()
      .min(1, { message: "is required" })
      .refine((reference) => checkImageReference(reference) === undefined, { message: IMAGE_RULE })
      .optional(),
    port: z.number().int().min(1).max(65535).optional(),
    protocol: protocolSchema.optional(),
    count: z.number().int().min(0).max(MAX_INSTANCES_PER_APP).optional(),
    memory: memorySchema.optional(),
    cpus: cpusSchema.optional(),
    env: z.record(envKeySchema, envValueSchema).optional(),
    unsetEnv: z.array(envKeySchema).max(1000).optional(),
    command: z.array(z.string().max(4096)).min(1, { message: "must name a program" }).max(64).optional(),
    healthPath: z
      .string()
      .regex(/^\/[\x21-\x7e]*$/, { message: "must be a path starting with '/'" })
      .optional(),
    /** Seconds a new instance may take to pass its health check (default: the daemon's setting). */
    healthTimeout: z.number().int().min(MIN_HEALTH_TIMEOUT_SECONDS).max(MAX_HEALTH_TIMEOUT_SECONDS).optional(),
    readOnlyRootfs: z.boolean().optional(),
    /** The tenant's volumes and where they are mounted; an empty list detaches them all. */
    volumes: volumeMountsSchema.optional(),
    /** Secrets the app needs (mc.toml's `secrets`): a deploy without any of them fails before anything starts. */
    requiredSecrets: z.array(envKeySchema).max(500).optional(),
    /** Start from the defaults instead of the running release's settings. */
    reset: z.boolean().optional(),
    /** Answer (202) once the release is recorded instead of when it serves; follow it with events. */
    detach: z.boolean().optional(),
  })
  .strict();
export type DeployRequest = z.input<typeof deployRequestSchema>;
export type DeployChange = z.output<typeof deployRequestSchema>;

/** What a release runs: a deploy's change applied to the previous release (or the defaults). */
export interface AppSpec {
  name: string;
  image: string;
  port?: number | undefined;
  /** Absent in releases recorded before protocols existed: those are `http`. */
  protocol?: Protocol | undefined;
  count: number;
  memory: number;
  cpus: number;
  env: Record<string, string>;
  command?: string[] | undefined;
  healthPath: string;
  healthTimeout?: number | undefined;
  readOnlyRootfs: boolean;
  volumes?: VolumeMount[] | undefined;
  /** Secrets a deploy must find in the app's secret set. */
  requiredSecrets?: string[] | undefined;
  /** The secret set this release runs with (names and value versions only; values stay sealed). */
  secrets?: SecretSetRef | undefined;
}

/** Which secret values a release runs with: the set's version and, per name, the version of its value. */
export interface SecretSetRef {
  version: number;
  values: Record<string, number>;
}

export const SPEC_DEFAULTS = {
  count: 1,
  memory: 256 * 1024 ** 2,
  cpus: DEFAULT_CPUS,
  env: {},
  healthPath: "/",
  readOnlyRootfs: true,
  protocol: "http",
} as const satisfies Partial<AppSpec>;

/** One setting a deploy changed, in words (env values are never shown, only their names). */
export const specChangeSchema = z.object({ field: z.string(), from: z.string().nullable(), to: z.string().nullable() });
export type SpecChange = z.infer<typeof specChangeSchema>;

export const instanceStateSchema = z.enum(["starting", "running", "stopped", "exited", "crash-looping", "missing"]);

export const instanceSchema = z.object({
  id: z.string(),
  state: instanceStateSchema,
  health: z.enum(["healthy", "unhealthy", "unknown"]),
  restarts: z.number(),
  startedAt: z.string().nullable(),
  url: z.string().nullable(),
  cpuPercent: z.number().nullable(),
  memoryBytes: z.number().nullable(),
  /** Why it last stopped on its own, e.g. "out of memory (limit 256m)" (null: it has not, since the daemon started). */
  lastExit: z.object({ at: z.string(), reason: z.string(), outOfMemory: z.boolean() }).nullable(),
});
export type Instance = z.infer<typeof instanceSchema>;

export const appSchema = z.object({
  name: z.string(),
  tenant: z.string(),
  image: z.string(),
  port: z.number().nullable(),
  count: z.number(),
  memory: z.number(),
  cpus: z.number(),
  envKeys: z.array(z.string()),
  /** Names of the secrets the running release has (values are never shown). */
  secretKeys: z.array(z.string()),
  protocol: protocolSchema,
  command: z.array(z.string()).nullable(),
  healthPath: z.string(),
  volumes: z.array(volumeMountSchema),
  /** Where other apps of the tenant reach it: `<app>.<tenant>.internal:<port>`. */
  internalAddress: z.string().nullable(),
  readOnlyRootfs: z.boolean(),
  desired: z.enum(["running", "stopped"]),
  /** The release that serves now. */
  release: z.number(),
  /** A deploy or scale in flight. */
  operation: z.enum(["deploy", "scale"]).nullable(),
  /** `http://<app>.<tenant>.<domain>` through the ingress, while the app runs and has a port. */
  url: z.string().nullable(),
  httpsUrl: z.string().nullable(),
  /** Custom host names routed to the app like its own host (`mc domains add`). */
  domains: z.array(appDomainSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
  instances: z.array(instanceSchema),
});
export type App = z.infer<typeof appSchema>;

/** A deploy's answer: the app, and what the new release changed compared to the one before. */
export const deployResultSchema = appSchema.extend({ changes: z.array(specChangeSchema) });
export type DeployResult = z.infer<typeof deployResultSchema>;

/** Change the number of instances in place, or their resources (a rolling deploy). */
export const scaleRequestSchema = z
  .object({
    count: z.number().int().min(0).max(MAX_INSTANCES_PER_APP).optional(),
    memory: memorySchema.optional(),
    cpus: cpusSchema.optional(),
  })
  .strict()
  .refine((value) => value.count !== undefined || value.memory !== undefined || value.cpus !== undefined, {
    message: "give at least one of count, memory, cpus",
  });
export type ScaleRequest = z.input<typeof scaleRequestSchema>;
export type ScaleChange = z.output<typeof scaleRequestSchema>;

export const releaseSchema = z.object({
  version: z.number(),
  image: z.string(),
  count: z.number(),
  memory: z.number(),
  cpus: z.number(),
  status: z.enum(["active", "superseded", "failed"]),
  /** The release this one restored, for a rollback. */
  rollbackOf: z.number().nullable(),
  createdAt: z.string(),
  reason: z.string().nullable(),
  changes: z.array(specChangeSchema),
  /** The engine's image id it ran (null for releases recorded before images were pinned): a rollback runs these bytes. */
  digest: z.string().nullable(),
});
export type Release = z.infer<typeof releaseSchema>;
export const releaseListSchema = z.object({ releases: z.array(releaseSchema) });

export const rollbackRequestSchema = z.object({ version: z.number().int().min(1).optional() }).strict();

/** `POST /v1/apps/:name/builds` options, in the query (the body is the context's tar). */
export const buildQuerySchema = z
  .object({
    /** The Dockerfile's path inside the context. */
    dockerfile: z
      .string()
      .max(255)
      .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[\x21-\x7e]+$/, { message: "must be a relative path inside the build context, without '..'" })
      .optional(),
    noCache: z.enum(["true", "false"]).optional(),
    /** Build arguments as a JSON object of strings. */
    buildArgs: z
      .string()
      .max(65_536)
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: "custom", message: "must be a JSON object of strings" });
          return z.NEVER;
        }
      })
      .pipe(z.record(envKeySchema, z.string().max(4096)))
      .optional(),
  })
  .strict();
export type BuildQuery = z.output<typeof buildQuerySchema>;

export const appListSchema = z.object({ apps: z.array(appSchema) });
export type AppList = z.infer<typeof appListSchema>;

/** The most lines a log read returns per instance: `tail`'s limit, and a read's without `tail` or `since`. */
export const MAX_LOG_LINES = 100_000;

/** The furthest back a log read reaches: logs are capped by bytes well before that. */
export const MAX_LOG_SINCE_DAYS = 3650;

/** `--since` of `mc logs`: a duration of at most MAX_LOG_SINCE_DAYS. */
export const logSinceSchema = durationSchema.refine(
  // A malformed duration is already an issue of the pattern above (zod runs this check anyway).
  (text) => !durationSchema.safeParse(text).success || durationSeconds(text) <= MAX_LOG_SINCE_DAYS * 86400,
  { message: `must be at most ${MAX_LOG_SINCE_DAYS}d` },
);

/** One line of `GET /v1/apps/:name/logs` (NDJSON), as `mc logs --json` prints it. */
export const logLineSchema = z.object({
  ts: z.string(),
  instance: z.string(),
  stream: z.enum(["stdout", "stderr"]),
  line: z.string(),
  /** The release the instance ran (stored lines; absent on lines streamed straight from the engine). */
  release: z.number().int().optional(),
});
export type LogLine = z.infer<typeof logLineSchema>;

export const logsQuerySchema = z
  .object({
    follow: z.enum(["true", "false"]).default("false"),
    tail: z.coerce.number().int().min(0).max(MAX_LOG_LINES).optional(),
    since: logSinceSchema.optional(),
    /** Only lines whose text matches this RE2 regular expression (linear time: no backtracking). */
    grep: z.string().min(1).max(1000).optional(),
    /** Only this instance's lines. */
    instance: z
      .string()
      .regex(/^[a-z0-9]{1,64}$/, { message: "must be an instance id as `mc status` shows it" })
      .optional(),
    /** Only lines of instances that ran this release. */
    release: z.coerce.number().int().min(1).max(1_000_000_000).optional(),
  })
  .strict();
