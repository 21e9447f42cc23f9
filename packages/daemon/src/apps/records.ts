import type { AppSpec, SpecChange } from "@minicloud/shared";
import { ApiError } from "@minicloud/shared";
import type { AppRecord, ReleaseRecord, State } from "../store/schema.ts";

export function findApp(state: Readonly<State>, tenant: string, name: string): AppRecord | undefined {
  return state.apps.find((a) => a.tenant === tenant && a.name === name);
}

/** The release an instance runs: its record's, else the deploy in flight's (not committed yet); 0 when unknown. */
export function releaseOfInstance(state: Readonly<State>, tenant: string, name: string, instance: string): number {
  const record = findApp(state, tenant, name);
  return record?.instances.find((i) => i.id === instance)?.release ?? record?.operation?.version ?? 0;
}

/** The app, whatever it is doing. */
export function requireAnyApp(state: Readonly<State>, tenant: string, name: string): AppRecord {
  const record = findApp(state, tenant, name);
  if (!record) throw new ApiError("not_found", `app ${name} not found in tenant ${tenant} — see \`mc apps list\``);
  return record;
}

/** The app, when no deploy or scale of it is in flight; otherwise a conflict that says which. */
export function requireIdleApp(state: Readonly<State>, tenant: string, name: string): AppRecord {
  const record = requireAnyApp(state, tenant, name);
  assertIdle(record);
  return record;
}

export function assertIdle(record: AppRecord): void {
  const operation = record.operation;
  if (operation || record.phase === "deploying") {
    const what = operation?.kind === "scale" ? "a scale" : `a deploy (release ${operation?.version ?? "?"})`;
    throw new ApiError(
      "conflict",
      `${what} of ${record.name} is in progress since ${operation?.startedAt ?? "just now"} — retry when it has finished`,
    );
  }
}

/** An app whose committed instances should receive traffic and hold resources. */
/**
 * The spec a new instance of the serving release runs: its image by the id the release recorded,
 * so an instance recreated later (a restart, a scale, reconciliation) runs the same bytes even
 * after the tag moved.
 */
export function pinnedSpec(record: AppRecord, spec: AppSpec = record.spec): AppSpec {
  const digest = servingDigest(record);
  return digest ? { ...spec, image: digest } : spec;
}

/** The image id the serving release runs (undefined before images were pinned, or before a first deploy). */
export function servingDigest(record: AppRecord | undefined): string | undefined {
  return record?.releases.find((r) => r.version === record.release)?.digest;
}

export function isServing(app: AppRecord): boolean {
  return app.desired === "running" && app.phase === "ready";
}

export function releaseRecord(
  version: number,
  spec: AppSpec,
  status: ReleaseRecord["status"],
  rollbackOf: number | undefined,
  reason: string | null,
  changes: SpecChange[] = [],
  createdAt = new Date().toISOString(),
): ReleaseRecord {
  return { version, spec, status, rollbackOf: rollbackOf ?? null, createdAt, reason, changes };
}

/** Releases kept per app unless the daemon is told otherwise (MC_RELEASE_HISTORY). */
export const RELEASE_HISTORY = 20;

/**
 * Env bytes (keys and values) the kept releases of one app may hold together, the active one's
 * included (the active one and one more at the 256 KiB cap): 20 releases at the cap would be 5 MiB of state per app.
 */
export const RELEASE_ENV_BUDGET = 512 * 1024;

/**
 * The newest `keep` releases while their env fits RELEASE_ENV_BUDGET, and the active one whatever
 * its age or size: older ones go, so state grows with apps, not with deploys. A rollback targets a
 * kept release (the deployer removes pruned releases' built images that nothing refers to).
 */
export function prunedReleases(releases: ReleaseRecord[], active: number, keep: number, budget = RELEASE_ENV_BUDGET): ReleaseRecord[] {
  const kept = new Set(releases.filter((r) => r.version === active));
  let bytes = [...kept].reduce((sum, r) => sum + envBytes(r.spec.env), 0);
  for (const release of [...releases].sort((a, b) => b.version - a.version)) {
    if (kept.size >= keep) break;
    if (kept.has(release)) continue;
    bytes += envBytes(release.spec.env);
    if (bytes > budget) break;
    kept.add(release);
  }
  return releases.filter((r) => kept.has(r));
}

/** Keys plus values, in UTF-8 bytes. */
export function envBytes(env: Record<string, string> | undefined): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(env ?? {})) bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  return bytes;
}
