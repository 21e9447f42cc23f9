import {
  ApiError,
  type DeployResult,
  MAX_SECRETS_PER_APP,
  MAX_SECRETS_TOTAL_BYTES,
  type SecretList,
  type SecretSetRef,
  type SecretsChange,
  type SecretsChangeResult,
} from "@minicloud/shared";
import type { Logger } from "pino";
import { assertIdle, findApp } from "../apps/records.ts";
import type { AppRecord, AppSecretsRecord, SecretValueRecord, State } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import type { SealedStore } from "./sealed-store.ts";

export interface SecretServiceDeps {
  store: Store;
  sealed: SealedStore;
  logger: Logger;
  /** A new release of the running app with its settings kept and the latest secret set (AppService.deploy). */
  redeploy: (tenant: string, app: string) => Promise<DeployResult>;
}

/** Where a value is sealed: bound as associated data, so it opens nowhere else. */
const placeOf = (app: string, value: Pick<SecretValueRecord, "name" | "version">) => ["secret", app, value.name, String(value.version)];

/**
 * Apps' secrets: write-only sets of sealed values, versioned; a release records the set it runs
 * with (spec.secrets), and values are opened only to start a container (envOf).
 */
export class SecretService {
  private readonly deps: SecretServiceDeps;

  constructor(deps: SecretServiceDeps) {
    this.deps = deps;
  }

  list(tenant: string, app: string): SecretList {
    const state = this.deps.store.state;
    const record = findSecrets(state, tenant, app);
    const running = findApp(state, tenant, app);
    if (!record && !running) throw new ApiError("not_found", `app ${app} not found in tenant ${tenant} — see \`mc apps list\``);
    const deployed = running?.spec.secrets;
    const current = record?.current ?? {};
    return {
      app,
      version: record?.version ?? 0,
      deployedVersion: deployed?.version ?? null,
      secrets: Object.entries(current)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, version]) => {
          const value = record?.values.find((v) => v.name === name && v.version === version);
          return { name, digest: value?.digest ?? "", createdAt: value?.createdAt ?? "", deployed: deployed?.values[name] === version };
        }),
      pendingRemoval: Object.keys(deployed?.values ?? {})
        .filter((name) => !(name in current))
        .sort(),
    };
  }

  /**
   * A new version of the set with `set` and `unset` applied; then, unless staged, a new release of
   * the running app takes it. An app that was never deployed takes staged secrets only.
   */
  async change(tenant: string, app: string, change: SecretsChange): Promise<SecretsChangeResult> {
    const { store, sealed } = this.deps;
    const running = findApp(store.state, tenant, app);
    if (!running && !change.stage) {
      throw new ApiError(
        "not_found",
        `app ${app} not found in tenant ${tenant} — deploy it first, or stage secrets for its first deploy (mc secrets set ${app} … --stage)`,
      );
    }
    if (running && !change.stage) assertIdle(running);
    const unset = change.unset ?? [];
    const set = change.set ?? {};
    const both = unset.filter((name) => name in set);
    if (both.length > 0) throw new ApiError("invalid_input", `${both.join(", ")}: both set and unset in one change`);
    const required = unset.filter((name) => running?.spec.requiredSecrets?.includes(name));
    if (required.length > 0) {
      throw new ApiError(
        "invalid_input",
        `${app} requires ${required.join(", ")} (mc.toml \`secrets\`): set a new value instead, or drop it from mc.toml and deploy first`,
      );
    }
    await sealed.ensureTenant(tenant);
    // Checked and sealed before the state is touched: a refused change leaves nothing behind.
    const changed = await store.update((state) => {
      const record = findSecrets(state, tenant, app) ?? { tenant, app, version: 0, current: {}, values: [] };
      const missing = unset.filter((name) => !(name in record.current));
      if (missing.length > 0) {
        throw new ApiError("not_found", `${app} has no secret ${missing.join(", ")} — see \`mc secrets list ${app}\``);
      }
      const version = record.version + 1;
      const now = new Date().toISOString();
      const current = { ...record.current };
      for (const name of unset) delete current[name];
      const added: SecretValueRecord[] = [];
      for (const [name, value] of Object.entries(set)) {
        const digest = sealed.digest(tenant, value);
        const existing = record.values.find((v) => v.name === name && v.version === current[name]);
        if (existing?.digest === digest) continue; // the same value: nothing changes
        const entry = { name, version };
        added.push({
          ...entry,
          sealed: sealed.seal(tenant, placeOf(app, entry), value),
          digest,
          bytes: byteLength(name, value),
          createdAt: now,
        });
        current[name] = version;
      }
      const names = Object.keys(current);
      if (names.length > MAX_SECRETS_PER_APP) {
        throw new ApiError(
          "invalid_input",
          `${app} would have ${names.length} secrets; an app may have at most ${MAX_SECRETS_PER_APP} — keep related settings in one secret (JSON, a dotenv file's text)`,
        );
      }
      const values = [...record.values, ...added];
      const total = names.reduce((sum, name) => sum + (values.find((v) => v.name === name && v.version === current[name])?.bytes ?? 0), 0);
      if (total > MAX_SECRETS_TOTAL_BYTES) {
        throw new ApiError(
          "invalid_input",
          `${app}'s secrets would take ${total} bytes; together they may take at most ${MAX_SECRETS_TOTAL_BYTES} (512 KiB), which leaves room in the container's environment`,
        );
      }
      const changedNames = [...unset, ...added.map((v) => v.name)];
      if (changedNames.length === 0) return changedNames;
      if (!state.secrets.includes(record)) state.secrets.push(record);
      record.version = version;
      record.current = current;
      record.values = values;
      collect(record, findApp(state, tenant, app));
      return changedNames;
    });
    // A stopped app is not started by a secrets change: its next deploy takes the set.
    const deployable = running && running.release > 0 && running.desired === "running" && !change.stage && changed.length > 0;
    let deploy: DeployResult | null = null;
    if (deployable) {
      try {
        deploy = await this.deps.redeploy(tenant, app);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const version = findSecrets(store.state, tenant, app)?.version;
        throw new ApiError(
          error.code,
          `secrets stored as version ${version}, but the release that should take them did not deploy: ${error.message} — release ${findApp(store.state, tenant, app)?.release} keeps serving with its secrets; \`mc deploy ${app}\` tries again`,
          error.fields,
        );
      }
    }
    this.deps.logger.info({ tenant, app, names: changed, staged: !deployable }, "secrets changed");
    return { ...this.list(tenant, app), deploy, changed };
  }

  /** The app's latest set: what a deploy runs with. */
  current(tenant: string, app: string): SecretSetRef | undefined {
    const record = findSecrets(this.deps.store.state, tenant, app);
    if (!record || Object.keys(record.current).length === 0) return undefined;
    return { version: record.version, values: { ...record.current } };
  }

  /** A release's secrets as environment variables, opened for a container about to start. */
  envOf(tenant: string, app: string, ref: SecretSetRef): Record<string, string> {
    const record = findSecrets(this.deps.store.state, tenant, app);
    const env: Record<string, string> = {};
    for (const [name, version] of Object.entries(ref.values)) {
      const value = record?.values.find((v) => v.name === name && v.version === version);
      if (!value) {
        throw new ApiError("conflict", `secret ${name} of ${app} (version ${version}) is no longer stored — set it again and deploy`);
      }
      env[name] = this.deps.sealed.open(tenant, placeOf(app, value), value.sealed, `secret ${name} of ${app}`);
    }
    return env;
  }

  /** After a rollback, the rolled-back release's set is the latest: the next deploy keeps it. */
  async restore(tenant: string, app: string, ref: SecretSetRef | undefined): Promise<void> {
    const values = ref?.values ?? {};
    await this.deps.store.update((state) => {
      const record = findSecrets(state, tenant, app);
      if (!record || sameSet(record.current, values)) return;
      record.version += 1;
      record.current = { ...values };
      collect(record, findApp(state, tenant, app));
    });
  }

  /** Inside a store update: an app's secrets go with it. */
  dropWith(state: State, tenant: string, app: string): void {
    state.secrets = state.secrets.filter((s) => !(s.tenant === tenant && s.app === app));
  }

  /** Inside a store update: a tenant's secrets and data key go with it. */
  dropTenant(state: State, tenant: string): void {
    state.secrets = state.secrets.filter((s) => s.tenant !== tenant);
    this.deps.sealed.dropTenant(state, tenant);
  }
}

function findSecrets(state: Readonly<State>, tenant: string, app: string): AppSecretsRecord | undefined {
  return state.secrets.find((s) => s.tenant === tenant && s.app === app);
}

function byteLength(name: string, value: string): number {
  return Buffer.byteLength(name) + 1 + Buffer.byteLength(value);
}

function sameSet(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** Drops values neither the latest set nor any release (or deploy in flight) of the app refers to. */
function collect(record: AppSecretsRecord, app: AppRecord | undefined): void {
  const refs = [
    record.current,
    app?.spec.secrets?.values,
    app?.operation?.spec.secrets?.values,
    ...(app?.releases ?? []).map((r) => r.spec.secrets?.values),
  ];
  const kept = new Set(refs.flatMap((values) => Object.entries(values ?? {}).map(([name, version]) => `${name}\0${version}`)));
  record.values = record.values.filter((v) => kept.has(`${v.name}\0${v.version}`));
}
