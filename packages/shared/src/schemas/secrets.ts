import { z } from "zod";
import { deployResultSchema } from "./apps.ts";

/** A value lands in one environment string (`NAME=value`); Linux caps one at 128 KiB. */
export const MAX_SECRET_VALUE_BYTES = 64 * 1024;
/** Every secret of an app together must leave room for the rest of a container's environment and argv. */
export const MAX_SECRETS_TOTAL_BYTES = 512 * 1024;
export const MAX_SECRETS_PER_APP = 500;

/**
 * Names the container's runtime or loader owns: a secret there would break the app or change how
 * its programs load (`LD_*`), and `MC_*` is kept for the platform.
 */
export const RESERVED_SECRET_NAMES = ["PATH", "HOME", "HOSTNAME", "PWD", "SHLVL", "TERM", "USER", "IFS"] as const;
const RESERVED_PREFIXES = ["LD_", "MC_"];

/** Why a name cannot be a secret's, or undefined. Never mentions a value. */
export function checkSecretName(name: string): string | undefined {
  if (name === "") return "a secret needs a name";
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(name))
    return "secret names are environment variable names: letters, digits and '_', not starting with a digit, at most 128";
  const upper = name.toUpperCase();
  if ((RESERVED_SECRET_NAMES as readonly string[]).includes(upper) || RESERVED_PREFIXES.some((p) => upper.startsWith(p)))
    return `${name} is reserved (${RESERVED_SECRET_NAMES.join(", ")} and names starting with ${RESERVED_PREFIXES.join(" or ")} belong to the runtime)`;
  return undefined;
}

/** Why a value cannot be a secret's, or undefined. The message names sizes, never the value. */
export function checkSecretValue(value: string): string | undefined {
  if (value.includes("\0")) return "contains a NUL byte, which an environment variable cannot hold";
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > MAX_SECRET_VALUE_BYTES) return `is ${bytes} bytes; a secret value may have at most ${MAX_SECRET_VALUE_BYTES} bytes (64 KiB)`;
  return undefined;
}

export const secretNameSchema = z.string().superRefine((name, ctx) => {
  const problem = checkSecretName(name);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** Values are checked without zod's messages, which could quote the input. */
const secretValueSchema = z.string().superRefine((value, ctx) => {
  const problem = checkSecretValue(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/**
 * `PATCH /v1/apps/:name/secrets`: set and unset in one new version of the app's secret set. Without
 * `stage`, a new release of the running app takes it (the normal rolling, health-gated deploy).
 */
export const secretsChangeSchema = z
  .object({
    // Names are checked below: a record's own key check only says "Invalid key in record".
    set: z.record(z.string(), secretValueSchema).optional(),
    unset: z.array(secretNameSchema).max(MAX_SECRETS_PER_APP).optional(),
    /** Store only; the next deploy of the app picks the set up. */
    stage: z.boolean().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const names = Object.keys(v.set ?? {});
    for (const name of names) {
      const problem = checkSecretName(name);
      if (problem) ctx.addIssue({ code: "custom", message: problem, path: ["set", name] });
    }
    if (names.length > MAX_SECRETS_PER_APP)
      ctx.addIssue({
        code: "custom",
        message: `${names.length} secrets at once; an app may have at most ${MAX_SECRETS_PER_APP}`,
        path: ["set"],
      });
    if (names.length + (v.unset?.length ?? 0) === 0) ctx.addIssue({ code: "custom", message: "give at least one secret to set or unset" });
  });
export type SecretsChangeRequest = z.input<typeof secretsChangeSchema>;
export type SecretsChange = z.output<typeof secretsChangeSchema>;

/** One secret as the API shows it: never its value. */
export const secretSchema = z.object({
  name: z.string(),
  /** HMAC-SHA256 of the value under a key of the tenant's (hex, shortened): equal values, equal digests. */
  digest: z.string(),
  createdAt: z.string(),
  /** Whether the running release has this very value. */
  deployed: z.boolean(),
});
export type Secret = z.infer<typeof secretSchema>;

export const secretListSchema = z.object({
  app: z.string(),
  /** The version of the app's latest secret set (what the next deploy runs with); 0 before any. */
  version: z.number(),
  /** The secret-set version the running release runs with; null when it runs without secrets. */
  deployedVersion: z.number().nullable(),
  secrets: z.array(secretSchema),
  /** Names the running release still has that the latest set no longer does (an unset not yet deployed). */
  pendingRemoval: z.array(z.string()),
});
export type SecretList = z.infer<typeof secretListSchema>;

export const secretsChangeResultSchema = secretListSchema.extend({
  /** Names this change set or removed (a value set again unchanged is not one). */
  changed: z.array(z.string()),
  /** The release that took the change; null when staged (or the app has no running release yet). */
  deploy: deployResultSchema.nullable(),
});
export type SecretsChangeResult = z.infer<typeof secretsChangeResultSchema>;
