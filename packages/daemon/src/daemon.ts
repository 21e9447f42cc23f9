import { chmod, writeFile } from "node:fs/promises";
import path from "node:path";
import Docker from "dockerode";
import type { Logger } from "pino";
import { createApi } from "./api/app.ts";
import { DEFAULT_TENANT } from "./api/middleware/auth.ts";
import { AppService } from "./apps/service.ts";
import { KeyedMutex } from "./common/keyed-mutex.ts";
import { type DaemonConfig, isLoopback } from "./config.ts";
import { generateKey } from "./keys/api-keys.ts";
import { DockerRuntime } from "./runtime/docker-runtime.ts";
import { type Listeners, startListeners } from "./server/listeners.ts";
import { loadTlsMaterial } from "./server/tls-cert.ts";
import { Store } from "./store/store.ts";

export interface RunningDaemon {
  tcpUrl: string;
  fingerprint: string | null;
  stop(): Promise<void>;
}

/** Composes the daemon: store, runtime, services, API, listeners. Nothing here runs at import time. */
export async function startDaemon(config: DaemonConfig, logger: Logger): Promise<RunningDaemon> {
  const docker = new Docker(); // honours DOCKER_HOST
  const runtime = new DockerRuntime(config.prefix, docker);
  await runtime.ping();
  const store = await Store.open(config.dataDir);
  await bootstrap(store, config, logger);

  const apps = new AppService({ store, runtime, tenantLocks: new KeyedMutex(), healthTimeoutMs: config.healthTimeoutMs, logger });
  const api = createApi({ store, runtime, apps, logger });
  const tls = isLoopback(config.listen.host) ? undefined : await loadTlsMaterial(config.dataDir, config.listen.host);
  const listeners: Listeners = await startListeners(api.fetch, config.socket, config.listen, tls);
  const scheme = tls ? "https" : "http";
  const tcpUrl = `${scheme}://${config.listen.host.includes(":") ? `[${config.listen.host}]` : config.listen.host}:${listeners.tcpAddress.port}`;
  logger.info({ socket: config.socket, tcp: tcpUrl, fingerprint: tls?.fingerprint, prefix: config.prefix }, "mcd listening");
  return {
    tcpUrl,
    fingerprint: tls?.fingerprint ?? null,
    async stop() {
      await listeners.close();
    },
  };
}

/** First start: the `default` tenant and an admin key, shown once and kept only as a hash + a 0600 file. */
async function bootstrap(store: Store, config: DaemonConfig, logger: Logger): Promise<void> {
  const now = new Date().toISOString();
  if (!store.state.tenants.some((t) => t.name === DEFAULT_TENANT)) {
    await store.update((state) => {
      state.tenants.push({ name: DEFAULT_TENANT, createdAt: now });
    });
  }
  if (store.state.keys.some((k) => k.role === "admin" && !k.revokedAt)) return;
  const generated = generateKey();
  const keyFile = path.join(config.dataDir, "admin.key");
  await writeFile(keyFile, `${generated.key}\n`, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  await store.update((state) => {
    state.keys.push({
      id: generated.id,
      hash: generated.hash,
      role: "admin",
      tenant: DEFAULT_TENANT,
      name: "admin",
      createdAt: now,
      revokedAt: null,
    });
  });
  process.stdout.write(`minicloud admin API key (shown once, also saved to ${keyFile}): ${generated.key}\n`);
  logger.info({ keyFile, keyId: generated.id }, "generated the admin API key");
}
