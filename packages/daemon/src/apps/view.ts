import type { App, AppDomain, Instance } from "@minicloud/shared";
import type { InstanceStats, RuntimeInstance } from "../runtime/runtime.ts";
import type { AppRecord } from "../store/schema.ts";

export interface InstanceObservation {
  runtime: RuntimeInstance | undefined;
  healthy: boolean | undefined;
  stats: InstanceStats | undefined;
  /** The daemon is backing off restarts of this instance. */
  crashLooping?: boolean;
  /** Why it last stopped on its own. */
  lastExit?: { at: string; reason: string; outOfMemory: boolean } | undefined;
}

export interface AppUrls {
  http: string;
  https: string;
}

/** The instance itself on the tenant network, reachable from the host (bypassing the ingress). */
function directUrl(runtime: RuntimeInstance | undefined, spec: AppRecord["spec"]): string | null {
  if (runtime?.state !== "running" || runtime.ip === null || spec.port === undefined) return null;
  return `${spec.protocol === "tcp" ? "tcp" : "http"}://${runtime.ip}:${spec.port}`;
}

function instanceState(runtime: RuntimeInstance | undefined, crashLooping: boolean): Instance["state"] {
  if (crashLooping && runtime?.state !== "running") return "crash-looping";
  if (!runtime) return "missing";
  if (runtime.state === "running") return "running";
  if (runtime.state === "created" || runtime.state === "restarting") return "starting";
  return runtime.exitCode === 0 || runtime.exitCode === 137 || runtime.exitCode === 143 ? "stopped" : "exited";
}

/** The API shape of an app: its spec (env values left out: they may be secrets) and observed instances. */
export function toAppView(record: AppRecord, observed: Map<string, InstanceObservation>, urls: AppUrls, domains: AppDomain[] = []): App {
  const instances: Instance[] = record.instances.map((instance) => {
    const seen = observed.get(instance.id);
    return {
      id: instance.id,
      state: instanceState(seen?.runtime, seen?.crashLooping ?? false),
      health: seen?.healthy === undefined ? "unknown" : seen.healthy ? "healthy" : "unhealthy",
      restarts: instance.restarts,
      startedAt: seen?.runtime?.startedAt ?? null,
      url: directUrl(seen?.runtime, record.spec),
      cpuPercent: seen?.stats?.cpuPercent ?? null,
      memoryBytes: seen?.stats?.memoryBytes ?? null,
      lastExit: seen?.lastExit ?? null,
    };
  });
  const { spec } = record;
  const protocol = spec.protocol ?? "http";
  const served = spec.port !== undefined && protocol === "http" && record.desired === "running";
  return {
    name: record.name,
    tenant: record.tenant,
    image: spec.image,
    port: spec.port ?? null,
    count: spec.count,
    memory: spec.memory,
    cpus: spec.cpus,
    envKeys: Object.keys(spec.env).sort(),
    secretKeys: Object.keys(spec.secrets?.values ?? {}).sort(),
    protocol,
    command: spec.command ?? null,
    healthPath: spec.healthPath,
    volumes: spec.volumes ?? [],
    internalAddress: spec.port === undefined ? null : `${record.name}.${record.tenant}.internal:${spec.port}`,
    readOnlyRootfs: spec.readOnlyRootfs,
    desired: record.desired,
    release: record.release,
    operation: record.operation?.kind ?? null,
    // The ingress URLs, while the app is meant to serve HTTP.
    url: served ? urls.http : null,
    httpsUrl: served ? urls.https : null,
    domains,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    instances,
  };
}
