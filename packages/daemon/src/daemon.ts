import { chmod, writeFile } from "node:fs/promises";
import path from "node:path";
import Docker from "dockerode";
import type { Logger } from "pino";
import { createApi } from "./api/app.ts";
import { eventsUpgrade } from "./api/events-socket.ts";
import { execUpgrade } from "./api/exec-socket.ts";
import { AuthFailures } from "./api/middleware/auth-failures.ts";
import { RateLimiter } from "./api/middleware/rate-limit.ts";
import { StreamLimits } from "./api/stream-limits.ts";
import { attachUpgradeRouter } from "./api/upgrade-router.ts";
import { Builds } from "./apps/builds.ts";
import { releaseOfInstance } from "./apps/records.ts";
import { AppService } from "./apps/service.ts";
import { AuditLog } from "./audit/log.ts";
import { KeyedMutex } from "./common/keyed-mutex.ts";
import { type DaemonConfig, isLoopback } from "./config.ts";
import { dashboardEventsUpgrade, Sessions } from "./dashboard/index.ts";
import { TenantDns } from "./dns/tenant-dns.ts";
import { DomainService } from "./domains/service.ts";
import { EventBus } from "./events/bus.ts";
import { HostFirewall } from "./firewall/host-firewall.ts";
import { DEFAULT_CRASH_POLICY } from "./healing/crash-policy.ts";
import { Healer } from "./healing/healer.ts";
import { BUILT_BY_TENANT, ImageAccess, publishedToAll, pulledByTenant } from "./images/access.ts";
import { RegistryCredentials } from "./images/credentials.ts";
import { ImagePulls } from "./images/pulls.ts";
import { ImageService } from "./images/service.ts";
import { Ingress } from "./ingress/ingress.ts";
import { KeyService } from "./keys/service.ts";
import { DurableLogs } from "./logs/index.ts";
import { startMetrics } from "./metrics/start.ts";
import { HostsFile } from "./networking/hosts-file.ts";
import { Networking } from "./networking/networking.ts";
import { ImageBytes } from "./quota/image-bytes.ts";
import { storageOf } from "./quota/usage.ts";
import { WritableLayers } from "./quota/writable-layers.ts";
import { Reconciler } from "./reconcile/reconciler.ts";
import { BuiltinRegistry } from "./registry/builtin-registry.ts";
import { builtInRegistryRule } from "./registry/image-rule.ts";
import { Pushes } from "./registry/pushes.ts";
import { expandReference } from "./registry/references.ts";
import { DockerRuntime } from "./runtime/docker-runtime.ts";
import { loadMasterKey } from "./secrets/master-key.ts";
import { SealedStore } from "./secrets/sealed-store.ts";
import { SecretService } from "./secrets/service.ts";
import { type Listeners, startListeners } from "./server/listeners.ts";
import { loadTlsMaterial } from "./server/tls-cert.ts";
import { Store } from "./store/store.ts";
import { findBinary } from "./supervisor/binaries.ts";
import { DEFAULT_TENANT, requireTenant, TenantService } from "./tenants/service.ts";
import { createStorage } from "./volumes/storage.ts";
import { WebhookService } from "./webhooks/service.ts";

/** Where `<app>.<tenant>.<domain>` resolves on the host: Caddy listens on every address. */
const INGRESS_ADDRESS = "127.0.0.1";

export interface RunningDaemon {
  tcpUrl: string;
  fingerprint: string | null;
  stop(): Promise<void>;
}

/** Composes the daemon: store, runtime, services, API, listeners. Nothing here runs at import time. */
export async function startDaemon(config: DaemonConfig, logger: Logger): Promise<RunningDaemon> {
  // Missing programs fail the start before anything else happens.
  const caddyBin = findBinary("caddy", config.caddyBin, "MC_CADDY_BIN");
  const corednsBin = findBinary("coredns", config.corednsBin, "MC_COREDNS_BIN");
  const registryBin = findBinary("docker-registry", config.registryBin, "MC_REGISTRY_BIN");
  const docker = new Docker(); // honours DOCKER_HOST
  const runtime = new DockerRuntime(config.prefix, config.subnetPool, docker);
  await runtime.ping();
  // MC_STORE_VERIFY=1 (the test harness) refuses any state change the store's tracking misses.
  const store = await Store.open(config.dataDir, { verify: process.env.MC_STORE_VERIFY === "1" });
  const sealed = new SealedStore(store, await loadMasterKey(config.masterKeyFile, store.state.tenantKeys));
  const unopenable = sealed.unopenable();
  // Not fatal: running containers keep their environment; only new instances of these tenants are refused.
  if (unopenable.length > 0) logger.error({ tenants: unopenable }, "the master key does not open these tenants' data keys");
  const auditLog = await AuditLog.open(config.dataDir);
  const events = await EventBus.open(config.dataDir, logger);
  const logs = await DurableLogs.open({
    dataDir: config.dataDir,
    ...config.logs,
    runtime,
    releaseOf: (tenant, app, instance) => releaseOfInstance(store.state, tenant, app, instance),
    logger,
  });
  events.on("event", (event) => logs.onPlatformEvent(event));
  const webhooks = new WebhookService({
    store,
    sealed,
    events,
    rules: {
      allowPrivate: config.webhookAllowPrivate,
      ownPorts: [config.listen.port, config.httpPort, config.httpsPort, config.dnsPort, config.registryPort],
    },
    timeoutMs: config.webhookTimeoutMs,
    logger,
  });
  const tenantLocks = new KeyedMutex();
  const keys = new KeyService(store);
  const quotaOf = (tenant: string) => requireTenant(store.state, tenant).quota;
  const { domain, httpPort, httpsPort, dataDir } = config;
  const registry = new BuiltinRegistry(
    { bin: registryBin, dataDir, port: config.registryPort, mcdUrl: loopbackUrl(config), gcSchedule: config.registryGc },
    logger,
  );
  const firewall = new HostFirewall(
    { mode: config.hostFirewall, prefix: config.prefix, dataDir, allowedTcpPorts: [httpPort, httpsPort] },
    logger,
  );
  const networking: Networking = new Networking({
    store,
    runtime,
    ingress: new Ingress(
      {
        caddyBin,
        dataDir,
        domain,
        httpPort,
        httpsPort,
        resolver: `127.0.0.1:${config.dnsPort}`,
        acme: config.acme,
        registry: { host: `registry.${domain}`, upstream: registry.host, tokenUpstream: `unix/${config.socket}` },
      },
      logger,
    ),
    dns: new TenantDns({ corednsBin, dataDir, domain, port: config.dnsPort, ingressAddress: INGRESS_ADDRESS }, logger),
    hostsFile: config.hostsFile ? new HostsFile(config.hostsFile, INGRESS_ADDRESS) : undefined,
    events,
    firewall,
    isDown: (id: string): boolean => healer.isDown(id),
    settings: { domain, httpPort, httpsPort, healthIntervalMs: config.healthIntervalMs, acme: config.acme !== undefined },
    logger,
  });
  const domains = new DomainService({ store, events, networking, domain });
  // Images count against storage on the engine and in the built-in registry alike.
  const imageBytes = new ImageBytes(runtime, logger, (tenant) => registry.bytesOf(tenant));
  const writableLayers = new WritableLayers({
    state: () => store.state,
    runtime,
    events,
    logger,
    quotaOf,
    // Bound late: apps need storage first.
    stopApp: async (tenant, app) => void (await apps.stop(tenant, app)),
    intervalMs: config.diskSampleIntervalMs,
    images: imageBytes,
  });
  const storage = await createStorage({
    dataDir,
    backend: config.volumeBackend,
    store,
    runtime,
    tenantLocks,
    quotaOf,
    events,
    auditLog,
    logger,
    measured: writableLayers,
    apps: () => ({
      stop: async (tenant, app) => void (await apps.stop(tenant, app)),
      start: async (tenant, app) => void (await apps.start(tenant, app)),
    }),
  });
  // A secrets change is a new release with every other setting kept: a deploy with an empty change.
  const secrets = new SecretService({ store, sealed, logger, redeploy: (tenant, app) => apps.deploy(tenant, { name: app }) });
  // Who may run what (images/access.ts): the rule list is where other image sources add theirs.
  const imageAccess = new ImageAccess(runtime, [BUILT_BY_TENANT, pulledByTenant(() => store.state), publishedToAll(() => store.state)]);
  const registryCredentials = new RegistryCredentials(store, sealed);
  // The built-in registry's `<tenant>/` namespaces are their tenants' (registry/image-rule.ts); mcd makes their logins to it.
  imageAccess.addRule(builtInRegistryRule(config.registryPort, () => store.state));
  registryCredentials.useBuiltIn(registry);
  const images = new ImageService({
    store,
    runtime,
    access: imageAccess,
    pulls: new ImagePulls({
      store,
      runtime,
      access: imageAccess,
      credentials: registryCredentials,
      storage: async (tenant) => ({
        volumes: storageOf(store.state, tenant),
        images: await imageBytes.refresh(tenant),
        limit: quotaOf(tenant).maxStorage,
      }),
      expand: (reference: string) => expandReference(reference, config.registryPort),
      logger,
    }),
    refreshBytes: (tenant) => imageBytes.refresh(tenant),
    expand: (reference) => expandReference(reference, config.registryPort),
    logger,
  });
  imageBytes.pulled = (tenant) => images.pulledBytes(tenant);
  const apps: AppService = new AppService({
    store,
    runtime,
    images: {
      usable: (tenant, reference) => imageAccess.usable(tenant, reference),
      forDeploy: (tenant, reference) => images.forDeploy(tenant, reference),
      usableById: (tenant, id) => imageAccess.usableById(tenant, id),
    },
    tenantLocks,
    healthTimeoutMs: config.healthTimeoutMs,
    releaseHistory: config.releaseHistory,
    builtImagePrefix: `${config.prefix}-images/`,
    expandImage: (reference: string) => expandReference(reference, config.registryPort),
    logger,
    quotaOf,
    networking,
    domains,
    events,
    isCrashLooping: (id: string): boolean => healer.isCrashLooping(id),
    lastExitOf: (id: string) => healer.lastExit(id),
    latestStatsOf: (containerId: string) => metrics.service.latestStats(containerId),
    expectExit: (id: string): void => healer.expectExit(id),
    volumes: storage.forApps,
    secrets,
    storedLogs: logs,
  });
  webhooks.start();
  const publish = (): Promise<void> => networking.publish();
  const reconciler = new Reconciler({
    store,
    runtime,
    instances: apps.instances,
    tenantLocks,
    events,
    logger,
    publish,
    isPendingRestart: (id: string): boolean => healer.isPending(id),
    onPass: (outcome) => metrics.daemon.reconcilePass(outcome),
  });
  const healer: Healer = new Healer({
    store,
    runtime,
    events,
    logger,
    policy: DEFAULT_CRASH_POLICY,
    publish,
    onResync: () => {
      apps.observed.clear();
      void reconciler.run();
    },
    onEngineEvent: (event) => {
      apps.observed.invalidate(event.containerId);
      logs.onEngineEvent(event);
    },
  });
  const metrics = await startMetrics({
    config,
    store,
    apps,
    events,
    processes: () => [...Object.values(networking.status()), registry.status()],
    measured: { writableLayers, images: imageBytes },
    volumes: storage.volumes,
    domains,
    logger,
  });
  const tenants = new TenantService({
    store,
    runtime,
    apps,
    keys,
    tenantLocks,
    volumes: storage.volumes,
    secrets,
    measured: writableLayers,
    images: imageBytes,
    registry,
    imageRecords: {
      dropTenant: (state, tenant) => {
        images.dropTenant(state, tenant);
        registryCredentials.dropTenant(state, tenant);
      },
    },
    logs,
    webhooks,
  });
  // Tenant containers that kept running while no daemon ran are fenced again before anything starts.
  await firewall.start(await runtime.listNetworks());
  await tenants.ensureDefault();
  // Each tenant's image bytes are sized once now, so the first quota read has them.
  for (const tenant of store.state.tenants) imageBytes.bytesOf(tenant.name);
  await bootstrapAdminKey(store, keys, config, logger);
  // Volumes first (mounted again after a reboot, half-made ones removed): apps that mount them start below.
  await storage.recover();
  // A crash may have cut an operation short: settle that, serve what state says, then repair drift.
  await reconciler.recoverInterrupted();
  try {
    // Before apps start: a deploy may pull from it.
    await registry.start();
    await networking.start();
  } catch (error) {
    await Promise.all([networking.release(), registry.release()]);
    throw error;
  }
  await healer.start();
  // Before reconciliation starts anything: each container's lines are picked up from where they were left.
  await logs.start();
  await reconciler.run();
  storage.start();
  writableLayers.start();
  metrics.sampler.start();
  const reconcileTimer = setInterval(() => {
    reconciler.run().catch((error) => logger.warn({ err: error }, "reconciliation failed"));
  }, config.reconcileIntervalMs);
  reconcileTimer.unref();
  // The store's safety net: a change its tracking missed is journaled within a minute, and named.
  const storeAuditTimer = setInterval(() => {
    store
      .audit()
      .then((untracked) => untracked.length > 0 && logger.warn({ untracked }, "journaled state changes the store had not seen"))
      .catch((error) => logger.warn({ err: error }, "state audit failed"));
  }, 60_000);
  storeAuditTimer.unref();

  // One limiter for requests and WebSocket upgrades alike.
  const rateLimiter = new RateLimiter({ limit: config.rateLimitPerMinute, windowSeconds: 60 });
  const authFailures = new AuthFailures(config.authFailures, auditLog);
  const streamLimits = new StreamLimits(config.streams);
  const dashboardSessions = new Sessions(store);
  const api = createApi({
    store,
    runtime,
    apps,
    tenants,
    keys,
    auditLog,
    networking,
    domains,
    storage,
    secrets,
    webhooks,
    events,
    images: { images, credentials: registryCredentials },
    builds: new Builds({
      runtime,
      access: imageAccess,
      prefix: config.prefix,
      timeoutMs: config.buildTimeoutMs,
      images: imageBytes,
      network: async (tenant) => {
        const network = await runtime.ensureNetwork(tenant);
        await networking.attachNetwork(network);
        return network;
      },
      quotaOf,
      state: () => store.state,
      registry,
      logger,
    }),
    rateLimit: rateLimiter,
    streamLimits,
    authFailures,
    settings: { settings: config.settings, files: config.files },
    metrics: metrics.service,
    daemonMetrics: metrics.daemon,
    dashboard: { sessions: dashboardSessions, dataDir: config.dataDir },
    registry: {
      registry,
      store,
      authFailures,
      logger,
      pushes: new Pushes({
        registry,
        events,
        quotaOf,
        storageOf: async (tenant) => storageOf(store.state, tenant) + (await imageBytes.refresh(tenant)),
        logger,
      }),
    },
    logger,
  });
  const tls = isLoopback(config.listen.host) ? undefined : await loadTlsMaterial(config.dataDir, config.listen.host, config.tls);
  let listeners: Listeners;
  const upgradeRouters: { close(): void }[] = [];
  try {
    listeners = await startListeners(
      api.fetch,
      config.socket,
      config.listen,
      tls,
      (server, transport) => {
        const routes = [eventsUpgrade(events), execUpgrade({ store, runtime, tenants })];
        // The dashboard is served on TCP only (its cookie-authenticated socket with it).
        if (transport === "tcp") routes.push(dashboardEventsUpgrade({ store, sessions: dashboardSessions, events }));
        const deps = { store, auditLog, rateLimiter, streamLimits, authFailures, logger };
        upgradeRouters.push(attachUpgradeRouter(server, transport, deps, routes));
      },
      { headerTimeoutMs: config.headerTimeoutMs, connectionsPerAddress: config.connectionsPerAddress },
    );
  } catch (error) {
    await Promise.all([networking.release(), registry.release()]);
    throw error;
  }
  const scheme = tls ? "https" : "http";
  const tcpUrl = `${scheme}://${config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host}:${listeners.tcpAddress.port}`;
  logger.info({ socket: config.socket, tcp: tcpUrl, fingerprint: tls?.fingerprint, prefix: config.prefix }, "mcd listening");
  return {
    tcpUrl,
    fingerprint: tls?.fingerprint ?? null,
    async stop() {
      clearInterval(reconcileTimer);
      clearInterval(storeAuditTimer);
      healer.stop();
      storage.stop();
      await writableLayers.stop();
      await logs.stop();
      await webhooks.stop();
      await metrics.sampler.stop();
      for (const router of upgradeRouters) router.close();
      await listeners.close();
      // Counts of failed authentications still in their window go to the audit log now.
      await authFailures.flush().catch((error) => logger.warn({ err: error }, "could not write the audit log"));
      // Caddy and CoreDNS keep serving every app's URL; the next daemon adopts them.
      networking.detach();
      registry.detach();
      // state.json alone holds everything after a clean stop.
      await store.close();
    },
  };
}

/**
 * mcd's TCP listener as the registry and the engine on this host reach it: the registry's token
 * realm and notification endpoint. (Beyond loopback it serves TLS with its own certificate, which
 * the engine must then trust for logins on the host; the ingress route is unaffected.)
 */
function loopbackUrl(config: DaemonConfig): string {
  const { host, port } = config.listen;
  const reachable = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return `${isLoopback(host) ? "http" : "https"}://${reachable}:${port}`;
}

/** First start: an admin key, shown once and kept only as a hash plus a 0600 file. */
async function bootstrapAdminKey(store: Store, keys: KeyService, config: DaemonConfig, logger: Logger): Promise<void> {
  if (store.state.keys.some((k) => k.role === "admin" && !k.revokedAt)) return;
  const created = await keys.create(DEFAULT_TENANT, { name: "admin", role: "admin" });
  const keyFile = path.join(config.dataDir, "admin.key");
  await writeFile(keyFile, `${created.key}\n`, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  process.stdout.write(`minicloud admin API key (shown once, also saved to ${keyFile}): ${created.key}\n`);
  logger.info({ keyFile, keyId: created.id }, "generated the admin API key");
}
