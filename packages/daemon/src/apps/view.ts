import type { App, Instance } from "@minicloud/shared";
import type { InstanceStats, RuntimeInstance } from "../runtime/runtime.ts";
import type { AppRecord } from "../store/schema.ts";

export interface InstanceObservation {
  runtime: RuntimeInstance | undefined;
  healthy: boolean | undefined;
  stats: InstanceStats | undefined;
}

function directUrl(runtime: RuntimeInstance | undefined): string | null {
  return runtime?.state === "running" && runtime.hostPort !== null ? `http://127.0.0.1:${runtime.hostPort}` : null;
}

function instanceState(runtime: RuntimeInstance | undefined): Instance["state"] {
  if (!runtime) return "missing";
  if (runtime.state === "running") return "running";
  if (runtime.state === "created" || runtime.state === "restarting") return "starting";
  return runtime.exitCode === 0 || runtime.exitCode === 137 || runtime.exitCode === 143 ? "stopped" : "exited";
}

/** The API shape of an app: its spec (env values left out: they may be secrets) and observed instances. */
export function toAppView(record: AppRecord, observed: Map<string, InstanceObservation>): App {
  const instances: Instance[] = record.instances.map((instance) => {
    const seen = observed.get(instance.id);
    return {
      id: instance.id,
      state: instanceState(seen?.runtime),
      health: seen?.healthy === undefined ? "unknown" : seen.healthy ? "healthy" : "unhealthy",
      restarts: seen?.runtime?.restartCount ?? 0,
      startedAt: seen?.runtime?.startedAt ?? null,
      url: directUrl(seen?.runtime),
      cpuPercent: seen?.stats?.cpuPercent ?? null,
      memoryBytes: seen?.stats?.memoryBytes ?? null,
    };
  });
  const { spec } = record;
  return {
    name: record.name,
    tenant: record.tenant,
    image: spec.image,
    port: spec.port ?? null,
    count: spec.count,
    memory: spec.memory,
    cpus: spec.cpus,
    envKeys: Object.keys(spec.env).sort(),
    healthPath: spec.healthPath,
    readOnlyRootfs: spec.readOnlyRootfs,
    desired: record.desired,
    url: instances.find((i) => i.url)?.url ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    instances,
  };
}
