import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import { Serial } from "../common/keyed-mutex.ts";
import { type ProcessStatus, SupervisedProcess } from "../supervisor/supervised-process.ts";
import { accessLogPath } from "./access-log.ts";
import { caddyAdmin } from "./caddy-admin.ts";
import { type AcmeSettings, adminConfig, caddyConfig, type IngressRoute, type RegistryIngress } from "./caddy-config.ts";
import { notFoundPage } from "./not-found-page.ts";

/** Caddy's own words, or a clear one for the usual cause: a port someone else holds. */
function ingressError(body: string): Error {
  const taken = /listen (?:tcp|udp) ([^:]*:\d+): bind: address already in use/.exec(body);
  if (taken) {
    return new Error(
      `the ingress cannot listen on ${taken[1]}: it is already in use — stop what holds it, or set MC_HTTP_PORT / MC_HTTPS_PORT`,
    );
  }
  return new Error(`Caddy refused the ingress config: ${body}`);
}

export interface IngressSettings {
  caddyBin: string;
  dataDir: string;
  domain: string;
  httpPort: number;
  httpsPort: number;
  /** `host:port` of CoreDNS on the host: Caddy resolves each app's instances there. */
  resolver: string;
  /** Public certificates for public custom domains; off when unset. */
  acme?: AcmeSettings | undefined;
  /** The built-in registry at `registry.<domain>`. */
  registry?: RegistryIngress | undefined;
}

/**
 * The ingress: a supervised Caddy whose routes are pushed through its admin API (no restarts).
 * The daemon always pushes the complete route set, so a restarted Caddy gets every route back.
 */
export class Ingress {
  private readonly settings: IngressSettings;
  private readonly process: SupervisedProcess;
  private readonly dir: string;
  private readonly pushes = new Serial();
  private routes: IngressRoute[] = [];
  private applied = "";
  /** The config an adopted Caddy was serving: the first push is skipped when it is the same. */
  private adoptedConfig: unknown;
  private readonly logger: Logger;

  constructor(settings: IngressSettings, logger: Logger) {
    this.settings = settings;
    this.logger = logger;
    this.dir = path.join(settings.dataDir, "ingress");
    this.process = new SupervisedProcess(
      {
        name: "caddy",
        command: settings.caddyBin,
        args: ["run", "--config", path.join(this.dir, "bootstrap.json")],
        // Caddy keeps its own files under the data dir, never in the invoking user's home.
        env: { PATH: process.env.PATH, HOME: this.dir, XDG_DATA_HOME: this.dir, XDG_CONFIG_HOME: this.dir },
        logFile: path.join(settings.dataDir, "logs", "caddy.log"),
        pidFile: path.join(settings.dataDir, "run", "caddy.pid"),
        isReady: () => this.adminAnswers(),
        onReady: () => this.pushed(true),
        onAdopt: () => this.readAdoptedConfig(),
      },
      logger,
    );
  }

  get adminSocket(): string {
    return path.join(this.dir, "admin.sock");
  }

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await mkdir(path.join(this.settings.dataDir, "logs"), { recursive: true });
    await mkdir(path.join(this.settings.dataDir, "run"), { recursive: true });
    // Caddy starts with the admin socket only; routes follow through the API once it answers.
    await writeFile(path.join(this.dir, "bootstrap.json"), JSON.stringify({ admin: adminConfig(this.adminSocket) }));
    await this.process.start();
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  /** Leaves Caddy serving for the next daemon. */
  detach(): void {
    this.process.detach();
  }

  release(): Promise<void> {
    return this.process.release();
  }

  status(): ProcessStatus {
    return this.process.status();
  }

  /** Replaces the route set; resolves once Caddy serves it (or logs why it could not). */
  setRoutes(routes: IngressRoute[]): Promise<void> {
    this.routes = routes;
    return this.pushed(false);
  }

  /** The internal CA's root certificate (PEM), for users to trust. */
  async rootCertificate(): Promise<string> {
    return readFile(path.join(this.dir, "storage", "pki", "authorities", "local", "root.crt"), "utf8");
  }

  private config(): string {
    const { httpPort, httpsPort, domain } = this.settings;
    return JSON.stringify(
      caddyConfig(
        {
          adminSocket: this.adminSocket,
          storageDir: path.join(this.dir, "storage"),
          httpPort,
          httpsPort,
          notFoundPage: notFoundPage(domain),
          resolver: this.settings.resolver,
          acme: this.settings.acme,
          accessLog: accessLogPath(this.settings.dataDir),
          registry: this.settings.registry,
        },
        this.routes,
      ),
    );
  }

  /** Pushes the current routes unless Caddy already has them; `force` after a (re)start. */
  private pushed(force: boolean): Promise<void> {
    return this.pushes.run(async () => {
      const config = this.config();
      if (!force && config === this.applied) return;
      if (!force && this.process.status().state !== "running") return; // onReady pushes once it is back
      const adopted = this.adoptedConfig;
      this.adoptedConfig = undefined;
      // A load re-provisions everything and closes idle keep-alive connections: not for nothing.
      if (!force && adopted !== undefined && isDeepStrictEqual(JSON.parse(config), adopted)) {
        this.applied = config;
        this.logger.info("the adopted Caddy already serves this configuration: not reloaded");
        return;
      }
      const response = await caddyAdmin(this.adminSocket, "POST", "/load", config);
      if (response.status !== 200) throw ingressError(response.body);
      this.applied = config;
    });
  }

  private async readAdoptedConfig(): Promise<void> {
    const response = await caddyAdmin(this.adminSocket, "GET", "/config/");
    if (response.status !== 200) throw new Error(`its admin API answered ${response.status}: ${response.body}`);
    this.adoptedConfig = JSON.parse(response.body);
  }

  private adminAnswers(): Promise<boolean> {
    return caddyAdmin(this.adminSocket, "GET", "/config/").then(
      (response) => response.status === 200,
      () => false,
    );
  }
}
