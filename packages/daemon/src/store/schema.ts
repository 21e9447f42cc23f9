import type { AppSpec, Delivery, QuotaLimits, SpecChange } from "@minicloud/shared";

/**
 * 2: custom domains (an older mcd would keep them but neither serve nor clean them up).
 * 3: volumes (an older mcd would drop them on its next write, and their data with them).
 * 4: sealed secrets (tenant data keys, apps' secret sets, releases' `spec.secrets`): an older mcd
 *    would start containers without their secrets.
 * 5: images (tenants' pulls, published host images, sealed registry credentials): an older mcd would
 *    drop them, and every tenant would lose the images it may run.
 * 6: state.journal next to state.json (the writes since the last snapshot): an older mcd would
 *    read the snapshot alone and lose them.
 * 7: webhooks and their deliveries (they were in webhooks.json): an older mcd would drop them.
 * 8: dashboard sessions (they were in dashboard/sessions.json): an older mcd would drop them.
 */
export const STATE_VERSION = 8;

export interface TenantRecord {
  name: string;
  createdAt: string;
  quota: QuotaLimits;
}

export interface KeyRecord {
  /** Public identifier (also the start of the key), safe to show and log. */
  id: string;
  /** SHA-256 of the whole key; the key itself is never stored. */
  hash: string;
  role: "admin" | "tenant";
  tenant: string;
  name: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface InstanceRecord {
  id: string;
  containerId: string;
  /** Address on the tenant network when last started: where the ingress and DNS send traffic. */
  ip: string | null;
  /** The release whose spec this instance runs. */
  release: number;
  /** Crashes the daemon restarted it from. */
  restarts: number;
}

/** A numbered deploy; its spec (and the image it names, never deleted) makes a rollback possible. */
export interface ReleaseRecord {
  version: number;
  spec: AppSpec;
  status: "active" | "superseded" | "failed";
  rollbackOf: number | null;
  createdAt: string;
  reason: string | null;
  /** What it changed compared to the release before it (absent in releases recorded earlier). */
  changes?: SpecChange[] | undefined;
  /** The engine's image id it ran (absent in releases recorded earlier): a rollback runs exactly these bytes. */
  digest?: string | undefined;
}

/**
 * A deploy or scale in flight. It is also the quota reservation for what it will run, and it
 * tells reconciliation (and a daemon restarted after a crash) which containers are not yet committed.
 */
export interface OperationRecord {
  kind: "deploy" | "scale";
  spec: AppSpec;
  version: number;
  startedAt: string;
}

export interface AppRecord {
  tenant: string;
  name: string;
  spec: AppSpec;
  desired: "running" | "stopped";
  /** `deploying` holds the quota reservation and the name while containers are being created. */
  phase: "deploying" | "ready";
  instances: InstanceRecord[];
  /** The release serving now (0 before the first deploy commits). */
  release: number;
  releases: ReleaseRecord[];
  operation?: OperationRecord | undefined;
  createdAt: string;
  updatedAt: string;
}

/** A custom host name routed to one app of one tenant; unique across tenants. */
export interface DomainRecord {
  /** Normalised: lowercase, no trailing dot. */
  hostname: string;
  tenant: string;
  app: string;
  createdAt: string;
}

export interface SnapshotRecord {
  id: string;
  createdAt: string;
  /** Compressed bytes of the snapshot file. */
  bytes: number;
  kind: "manual" | "scheduled" | "safety" | "import";
  note: string | null;
  pauseMs: number | null;
}

export interface VolumeScheduleRecord {
  cron: string;
  keep: number;
  lastRunAt: string | null;
  lastError: string | null;
}

/**
 * A tenant's volume. `size` is reserved against the storage quota from the moment the record
 * exists; `phase` other than ready marks work in flight that a restarted daemon settles.
 */
export interface VolumeRecord {
  tenant: string;
  name: string;
  size: number;
  phase: "creating" | "ready" | "importing" | "restoring";
  createdAt: string;
  snapshots: SnapshotRecord[];
  schedule: VolumeScheduleRecord | null;
  /** A restore under way: the snapshot it brings back and the app to start again afterwards. */
  restoring?: { snapshot: string; app: string | null } | undefined;
}

/** A tenant's data key, wrapped (AES-256-GCM) by the master key; the master key never is in state. */
export interface TenantKeyRecord {
  tenant: string;
  wrapped: string;
  /** The id of the master key that wrapped it (see secrets/crypto.ts keyId). */
  master: string;
  createdAt: string;
}

/** One sealed value of one secret; `version` is the secret-set version that introduced it (bound as associated data). */
export interface SecretValueRecord {
  name: string;
  version: number;
  sealed: string;
  /** Keyed HMAC, what `mc secrets list` shows. */
  digest: string;
  bytes: number;
  createdAt: string;
}

/**
 * An app's secrets: the latest set (what the next deploy runs with) and every value that set or
 * a release still refers to. It may exist before the app's first deploy (staged secrets).
 */
export interface AppSecretsRecord {
  tenant: string;
  app: string;
  /** The latest set's version; grows with every change. */
  version: number;
  /** The latest set: name → the version of its value. */
  current: Record<string, number>;
  values: SecretValueRecord[];
}

/** An image a tenant pulled through a registry it has access to: what lets it run those bytes. */
export interface PulledImageRecord {
  tenant: string;
  /** The reference as the engine lists it (`127.0.0.1:5000/team/app:1`). */
  reference: string;
  /** The registry's manifest digest. */
  digest: string;
  /** The engine's image id. */
  id: string;
  size: number;
  pulledAt: string;
}

/** A host image the admin published: every tenant may run these bytes (by id, whatever names it gets later). */
export interface PublishedImageRecord {
  reference: string;
  id: string;
  publishedAt: string;
}

/** A tenant's login to a registry; the password is sealed for ["registry", host]. */
export interface RegistryCredentialRecord {
  tenant: string;
  host: string;
  username: string;
  sealed: string;
  createdAt: string;
}

/** A tenant's alert webhook; its secret sealed with the tenant's data key for ["webhook", id]. */
export interface WebhookRecord {
  id: string;
  tenant: string;
  url: string;
  events: string[];
  sealedSecret: string;
  createdAt: string;
}

/** One delivery of an event to a webhook: with its tenant and the exact body that is signed and sent. */
export type DeliveryRecord = Delivery & { tenant: string; body: string };

/** A dashboard session: the SHA-256 of the id its cookie holds (a copy of the state signs nobody in). */
export interface DashboardSessionRecord {
  hash: string;
  /** The API key the session was exchanged for: its state is checked on every request. */
  keyId: string;
  /** Sent back in `X-CSRF-Token` on every state-changing request. */
  csrf: string;
  expiresAt: number;
}

export interface State {
  version: number;
  tenants: TenantRecord[];
  keys: KeyRecord[];
  apps: AppRecord[];
  domains: DomainRecord[];
  volumes: VolumeRecord[];
  tenantKeys: TenantKeyRecord[];
  secrets: AppSecretsRecord[];
  pulledImages: PulledImageRecord[];
  publishedImages: PublishedImageRecord[];
  registryCredentials: RegistryCredentialRecord[];
  webhooks: WebhookRecord[];
  /** The newest deliveries across tenants (bounded by the webhook service). */
  deliveries: DeliveryRecord[];
  dashboardSessions: DashboardSessionRecord[];
}

export function emptyState(): State {
  return {
    version: STATE_VERSION,
    tenants: [],
    keys: [],
    apps: [],
    domains: [],
    volumes: [],
    tenantKeys: [],
    secrets: [],
    pulledImages: [],
    publishedImages: [],
    registryCredentials: [],
    webhooks: [],
    deliveries: [],
    dashboardSessions: [],
  };
}
