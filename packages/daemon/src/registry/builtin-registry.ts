import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { Cron } from "croner";
import type { Logger } from "pino";
import { Serial } from "../common/keyed-mutex.ts";
import { type ProcessStatus, SupervisedProcess } from "../supervisor/supervised-process.ts";
import { InternalCredentials } from "./internal-credentials.ts";
import { registryHost } from "./references.ts";
import { registryConfig } from "./registry-config.ts";
import { loadSigningKey, type SigningKey } from "./signing-key.ts";
import { namespaceBytes } from "./storage-bytes.ts";
import { type Access, ISSUER, SERVICE, signToken } from "./tokens.ts";

const run = promisify(execFile);
const TAG_WAIT_MS = 5000;

interface Secrets {
  /** The registry's own (upload state). */
  http: string;
  /** The header its notifications carry. */
  notifications: string;
  /** Signs the logins mcd makes for tenants (internal-credentials.ts). */
  credentials: string;
}

export interface RegistrySettings {
  bin: string;
  dataDir: string;
  port: number;
  /** mcd's TCP listener as the engine on this host reaches it (`http://127.0.0.1:7070`). */
  mcdUrl: string;
  /** When garbage collection runs (cron, UTC). */
  gcSchedule: string;
}

/** What the rest of the daemon uses of the built-in registry. */
export interface Registry {
  /** `127.0.0.1:<port>`: the engine's name for it. */
  readonly host: string;
  /** A token for `subject` with exactly this access (mcd's own pulls and pushes for a tenant). */
  mint(subject: string, access: Access[]): string;
  /** Bytes of the tenant's tagged images in the registry. */
  bytesOf(tenant: string): Promise<number>;
}

/**
 * The built-in registry: Debian's docker-registry (CNCF distribution), supervised like Caddy and
 * CoreDNS, on loopback, with token auth whose tokens mcd signs (see tokens.ts and the token route).
 * Its data lives in `<data dir>/registry/`: storage, config, the token key and certificate.
 */
export class BuiltinRegistry implements Registry {
  readonly host: string;
  private readonly settings: RegistrySettings;
  private readonly dir: string;
  private readonly process: SupervisedProcess;
  private readonly logger: Logger;
  private readonly maintenance = new Serial();
  private key: SigningKey | undefined;
  private secrets: Secrets | undefined;
  private internal: InternalCredentials | undefined;
  private gcJob: Cron | undefined;

  constructor(settings: RegistrySettings, logger: Logger) {
    this.settings = settings;
    this.logger = logger.child({ component: "registry" });
    this.host = registryHost(settings.port);
    this.dir = path.join(settings.dataDir, "registry");
    this.process = new SupervisedProcess(
      {
        name: "registry",
        command: settings.bin,
        args: ["serve", this.configFile],
        env: { PATH: process.env.PATH, HOME: this.dir },
        logFile: path.join(settings.dataDir, "logs", "registry.log"),
        pidFile: path.join(settings.dataDir, "run", "registry.pid"),
        // The API base answers 401 (token auth) once it serves; any answer will do.
        isReady: () =>
          fetch(`http://${this.host}/v2/`, { signal: AbortSignal.timeout(1000) }).then(
            () => true,
            () => false,
          ),
        onReady: async () => undefined,
      },
      logger,
    );
  }

  private get configFile(): string {
    return path.join(this.dir, "config.yml");
  }

  private get storageDir(): string {
    return path.join(this.dir, "storage");
  }

  /** The secret the registry's push notifications carry (checked by the notifications route). */
  get notificationSecret(): string {
    if (!this.secrets) throw new Error("the registry has not started");
    return this.secrets.notifications;
  }

  async start(): Promise<void> {
    await mkdir(this.storageDir, { recursive: true, mode: 0o700 });
    await mkdir(path.join(this.settings.dataDir, "logs"), { recursive: true });
    await mkdir(path.join(this.settings.dataDir, "run"), { recursive: true });
    this.key = await loadSigningKey(this.settings.dataDir);
    this.secrets = await this.loadSecrets();
    this.internal = new InternalCredentials(this.secrets.credentials);
    const changed = await this.writeConfig(false);
    // A leftover registry serving another configuration is replaced (it reads its file only at start).
    let how: "adopted" | "started";
    try {
      how = await this.process.start();
    } catch (error) {
      if (/address already in use/.test((error as Error).message)) {
        throw new Error(
          `the built-in registry cannot listen on ${this.host}: it is already in use — stop what holds it, or set MC_REGISTRY_PORT`,
        );
      }
      throw error;
    }
    if (how === "adopted" && changed) await this.restart();
    this.gcJob = new Cron(this.settings.gcSchedule, { timezone: "UTC", protect: true }, async () => {
      await this.collectGarbage().catch((error) => this.logger.error({ err: error }, "registry garbage collection failed"));
    });
  }

  status(): ProcessStatus {
    return this.process.status();
  }

  /** Leaves the registry serving for the next daemon. */
  detach(): void {
    this.gcJob?.stop();
    this.process.detach();
  }

  release(): Promise<void> {
    this.gcJob?.stop();
    return this.process.release();
  }

  mint(subject: string, access: Access[]): string {
    if (!this.key) throw new Error("the registry has not started");
    return signToken(this.key, subject, access).token;
  }

  /** A short-lived login for the tenant's own namespace: mcd's pulls (through the engine) and pushes. */
  credentialsFor(tenant: string): { username: string; password: string } {
    if (!this.internal) throw new Error("the registry has not started");
    return this.internal.for(tenant);
  }

  /** Whether a password is a login `credentialsFor` made for this tenant, still valid. */
  verifyInternal(tenant: string, password: string): boolean {
    return this.internal?.verify(tenant, password) ?? false;
  }

  /** The token endpoint's signature, for callers it authenticated. */
  issue(subject: string, access: Access[]): ReturnType<typeof signToken> {
    if (!this.key) throw new Error("the registry has not started");
    return signToken(this.key, subject, access);
  }

  bytesOf(tenant: string): Promise<number> {
    return namespaceBytes(this.storageDir, tenant);
  }

  /**
   * Waits (briefly) until the tag points at the digest: the registry notifies a pushed manifest
   * before it writes the tag, and the tenant's bytes are measured by tags.
   */
  async tagged(repository: string, tag: string, digest: string): Promise<boolean> {
    const link = path.join(
      this.storageDir,
      "docker",
      "registry",
      "v2",
      "repositories",
      repository,
      "_manifests",
      "tags",
      tag,
      "current",
      "link",
    );
    const deadline = Date.now() + TAG_WAIT_MS;
    while (Date.now() < deadline) {
      if ((await readFile(link, "utf8").catch(() => "")).trim() === digest) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  }

  /**
   * A deleted tenant's repositories go (distribution has no call for that: their directories are
   * removed, which it tolerates); the next garbage collection frees their blobs.
   */
  async removeTenant(tenant: string): Promise<void> {
    await rm(path.join(this.storageDir, "docker", "registry", "v2", "repositories", tenant), { recursive: true, force: true });
  }

  /** Removes a manifest (and every tag on it); the next garbage collection frees its blobs. */
  async deleteManifest(repository: string, digest: string): Promise<void> {
    const token = this.mint(ISSUER, [{ type: "repository", name: repository, actions: ["delete"] }]);
    const response = await fetch(`http://${this.host}/v2/${repository}/manifests/${digest}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok && response.status !== 404)
      throw new Error(`the registry answered ${response.status} deleting ${repository}@${digest}`);
  }

  /**
   * `docker-registry garbage-collect` must not run beside writes: the registry restarts read-only
   * (pulls keep working, pushes are refused for the seconds it takes), collects, and restarts writable.
   */
  collectGarbage(): Promise<string> {
    return this.maintenance.run(async () => {
      await this.writeConfig(true);
      await this.restart();
      try {
        const { stdout } = await run(this.settings.bin, ["garbage-collect", "--delete-untagged", this.configFile], {
          env: { PATH: process.env.PATH, HOME: this.dir },
          maxBuffer: 16 * 1024 * 1024,
        });
        this.logger.info("registry garbage collection done");
        return stdout;
      } finally {
        await this.writeConfig(false);
        await this.restart();
      }
    });
  }

  private async restart(): Promise<void> {
    await this.process.stop();
    await this.process.start();
  }

  /** Writes the configuration; says whether it differs from the file's. */
  private async writeConfig(readOnly: boolean): Promise<boolean> {
    if (!this.key || !this.secrets) throw new Error("the registry has not started");
    const text = registryConfig({
      port: this.settings.port,
      storageDir: this.storageDir,
      realm: `${this.settings.mcdUrl}/v1/registry/token`,
      service: SERVICE,
      issuer: ISSUER,
      certFile: this.key.certFile,
      notifications: { url: `${this.settings.mcdUrl}/v1/registry/notifications`, secret: this.secrets.notifications },
      httpSecret: this.secrets.http,
      readOnly,
    });
    if ((await readFile(this.configFile, "utf8").catch(() => "")) === text) return false;
    await writeFile(`${this.configFile}.tmp`, text, { mode: 0o600 });
    await rename(`${this.configFile}.tmp`, this.configFile);
    return true;
  }

  /** Made once (0600): the same across restarts, so uploads in progress and an adopted registry keep working. */
  private async loadSecrets(): Promise<Secrets> {
    const file = path.join(this.dir, "secrets.json");
    const known = await readFile(file, "utf8").then(
      (text) => JSON.parse(text) as Secrets,
      () => undefined,
    );
    if (known?.http && known.notifications && known.credentials) return known;
    const random = () => randomBytes(32).toString("hex");
    const made: Secrets = { http: random(), notifications: random(), credentials: random() };
    await writeFile(file, JSON.stringify(made), { mode: 0o600 });
    return made;
  }
}
