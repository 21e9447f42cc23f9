import { ApiError, type AppSpec, type DeployChange, formatBytes, SPEC_DEFAULTS, type SpecChange } from "@minicloud/shared";
import { envBytes } from "./records.ts";

/**
 * The spec a deploy runs: what it was told, over the running release's settings (or the defaults,
 * for a first deploy or `reset`). Nothing a user set earlier is dropped because a later deploy
 * left it out. Pure, so it is unit-tested.
 */
export function resolveSpec(change: DeployChange, current: AppSpec | undefined): AppSpec {
  const base: Partial<AppSpec> = current && !change.reset ? current : { ...SPEC_DEFAULTS, env: {} };
  const image = change.image ?? base.image;
  if (image === undefined) {
    throw new ApiError("invalid_input", `image: is required for the first deploy of ${change.name} (or a Dockerfile to build)`, [
      { field: "image", message: "is required for a first deploy" },
    ]);
  }
  const env = { ...(base.env ?? {}), ...(change.env ?? {}) };
  for (const key of change.unsetEnv ?? []) delete env[key];
  assertEnvWithinCap(change.name, env);
  const spec: AppSpec = {
    name: change.name,
    image,
    port: change.port ?? base.port,
    protocol: change.protocol ?? base.protocol ?? "http",
    count: change.count ?? base.count ?? SPEC_DEFAULTS.count,
    memory: change.memory ?? base.memory ?? SPEC_DEFAULTS.memory,
    cpus: change.cpus ?? base.cpus ?? SPEC_DEFAULTS.cpus,
    env,
    command: change.command ?? base.command,
    healthPath: change.healthPath ?? base.healthPath ?? SPEC_DEFAULTS.healthPath,
    healthTimeout: change.healthTimeout ?? base.healthTimeout,
    readOnlyRootfs: change.readOnlyRootfs ?? base.readOnlyRootfs ?? SPEC_DEFAULTS.readOnlyRootfs,
    volumes: change.volumes ?? base.volumes,
    requiredSecrets: change.requiredSecrets ?? base.requiredSecrets,
    // The secret set is the app's latest, attached by the deploy (AppService); a reset keeps it too.
    secrets: current?.secrets,
  };
  return withoutUndefined(spec);
}

/**
 * Keys plus values of one app's merged env, at most (each value is capped at 32 KiB by the schema):
 * every release keeps a copy of its spec in state, so an uncapped env bloats state for free.
 */
export const MAX_ENV_BYTES = 256 * 1024;

function assertEnvWithinCap(app: string, env: Record<string, string>): void {
  const bytes = envBytes(env);
  if (bytes <= MAX_ENV_BYTES) return;
  throw new ApiError(
    "invalid_input",
    `env: ${app}'s environment would total ${bytes} bytes (keys and values, with what earlier deploys set), the limit is ${formatBytes(MAX_ENV_BYTES)} — unset some (--unset-env) or keep large values in a volume`,
    [{ field: "env", message: `totals ${bytes} bytes, the limit is ${MAX_ENV_BYTES}` }],
  );
}

/** The settings that differ between two specs, in words; env values never appear, only names. */
export function specChanges(before: AppSpec | undefined, after: AppSpec): SpecChange[] {
  const changes: SpecChange[] = [];
  const show: [keyof AppSpec, (spec: AppSpec) => string | null][] = [
    ["image", (s) => s.image],
    ["port", (s) => (s.port === undefined ? null : String(s.port))],
    ["protocol", (s) => s.protocol ?? "http"],
    ["count", (s) => String(s.count)],
    ["memory", (s) => formatBytes(s.memory)],
    ["cpus", (s) => String(s.cpus)],
    ["command", (s) => (s.command ? s.command.join(" ") : null)],
    ["healthPath", (s) => s.healthPath],
    ["healthTimeout", (s) => (s.healthTimeout === undefined ? null : `${s.healthTimeout}s`)],
    ["readOnlyRootfs", (s) => String(s.readOnlyRootfs)],
    ["volumes", (s) => (s.volumes?.length ? s.volumes.map((v) => `${v.name}:${v.path}`).join(", ") : null)],
    ["requiredSecrets", (s) => (s.requiredSecrets?.length ? s.requiredSecrets.join(", ") : null)],
  ];
  for (const [field, text] of show) {
    const from = before ? text(before) : null;
    const to = text(after);
    if (from !== to) changes.push({ field, from, to });
  }
  const beforeEnv = before?.env ?? {};
  for (const key of new Set([...Object.keys(beforeEnv), ...Object.keys(after.env)])) {
    const had = key in beforeEnv;
    const has = key in after.env;
    if (had && has && beforeEnv[key] === after.env[key]) continue;
    changes.push({ field: `env.${key}`, from: had ? "(set)" : null, to: has ? (had ? "(changed)" : "(set)") : null });
  }
  // Secrets by name only: a value changed when the version of the value the release runs with did.
  const beforeSecrets = before?.secrets?.values ?? {};
  const afterSecrets = after.secrets?.values ?? {};
  for (const name of [...new Set([...Object.keys(beforeSecrets), ...Object.keys(afterSecrets)])].sort()) {
    const had = beforeSecrets[name];
    const has = afterSecrets[name];
    if (had === has) continue;
    changes.push({
      field: `secret.${name}`,
      from: had === undefined ? null : "(set)",
      to: has === undefined ? null : had === undefined ? "(set)" : "(changed)",
    });
  }
  return changes;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
