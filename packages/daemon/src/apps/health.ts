import net from "node:net";
import { ApiError, formatBytes, type Protocol } from "@minicloud/shared";
import type { Runtime, RuntimeInstance } from "../runtime/runtime.ts";

/** Probes start this soon after the start and back off (doubling) to POLL_MS: most apps listen within tens of ms. */
const FIRST_POLL_MS = 5;
const POLL_MS = 50;
/** How long after an exit 137 the engine is given to mark the instance OOM-killed. */
const OOM_SETTLE_MS = 250;
const PROBE_TIMEOUT_MS = 1000;
/** An app without a port counts as healthy once it has kept running this long. */
export const RUNNING_GRACE_MS = 2000;
const LAST_LOG_LINES = 10;

export interface HealthTarget {
  port?: number | null | undefined;
  /** The memory limit, to name it when the kernel killed the instance for crossing it. */
  memory?: number | undefined;
  protocol?: Protocol | undefined;
  healthPath: string;
}

/** One TCP connect to `ip:port`: a service that accepts connections is up (PostgreSQL, Redis, …). */
export function probeTcp(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: ip, port, timeout: PROBE_TIMEOUT_MS });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once("connect", () => done(true));
    socket.once("timeout", () => done(false));
    socket.once("error", () => done(false));
  });
}

/** The probe for the app's protocol: a TCP connect, or an HTTP request at its health path. */
export function probe(ip: string, target: HealthTarget & { port: number }): Promise<boolean> {
  return target.protocol === "tcp" ? probeTcp(ip, target.port) : probeHttp(`${ip}:${target.port}`, target.healthPath);
}

/**
 * One HTTP probe of `ip:port`. On the default path `/` any answer below 500 means the app is up and
 * listening (many apps answer 404 there); a health path the user chose must answer 2xx or 3xx.
 */
export async function probeHttp(address: string, path: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${address}${path}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await response.body?.cancel();
    return response.status < (path === "/" ? 500 : 400);
  } catch {
    return false;
  }
}

/**
 * Waits until a new instance passes its health check, or throws an `unhealthy` ApiError that says
 * why and carries the instance's last log lines.
 */
export async function waitHealthy(runtime: Runtime, instance: RuntimeInstance, target: HealthTarget, timeoutMs: number): Promise<void> {
  const started = Date.now();
  const port = target.port;
  const probed = (i: RuntimeInstance | undefined): Promise<boolean> =>
    port != null && i?.state === "running" && i.ip !== null ? probe(i.ip, { ...target, port }) : Promise.resolve(false);
  // The first pass takes the instance as inspected right after its start (no second engine call).
  let current: RuntimeInstance | undefined = instance;
  let up = await probed(current);
  let wait = FIRST_POLL_MS;
  while (true) {
    if (current?.state !== "running") {
      // The engine may record the exit (137) before it handles the kernel's OOM event: ask once more.
      if (current?.exitCode === 137 && !current.oomKilled) {
        await new Promise((resolve) => setTimeout(resolve, OOM_SETTLE_MS));
        current = (await runtime.inspectInstance(instance.containerId)) ?? current;
      }
      const reason = !current
        ? "disappeared"
        : current.oomKilled
          ? `ran out of memory (limit ${formatBytes(target.memory ?? 0)}) and was killed — give it more with --memory`
          : `exited with code ${current.exitCode ?? "?"}`;
      throw await unhealthy(runtime, instance, `instance ${instance.instanceId} ${reason} before it became healthy`);
    }
    if (port == null ? Date.now() - started >= RUNNING_GRACE_MS : up) return;
    if (Date.now() - started > timeoutMs) {
      const seconds = Math.round(timeoutMs / 1000);
      const what =
        target.protocol === "tcp" ? `accept TCP connections on port ${port}` : `answer HTTP on port ${port} at ${target.healthPath}`;
      throw await unhealthy(
        runtime,
        instance,
        `instance ${instance.instanceId} did not ${what} within ${seconds}s — does the image listen on port ${port}? Set --port to the port it listens on${target.protocol === "tcp" ? "" : " (--protocol tcp for a service that does not speak HTTP)"}, or give it longer with --health-timeout`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(POLL_MS, wait * 2);
    // The engine's view and the next probe at once (the address stays while the instance runs).
    [current, up] = await Promise.all([runtime.inspectInstance(instance.containerId), probed(current)]);
  }
}

async function unhealthy(runtime: Runtime, instance: RuntimeInstance, message: string): Promise<ApiError> {
  const lines: string[] = [];
  try {
    const stream = await runtime.logs(instance.containerId, instance.instanceId, { follow: false, tail: LAST_LOG_LINES });
    for await (const entry of stream) lines.push(`  ${(entry as { line: string }).line}`);
  } catch {
    // Logs are a courtesy here; the health failure is the error.
  }
  const tail = lines.length ? `\nlast log lines:\n${lines.join("\n")}` : "\n(the instance wrote no logs)";
  return new ApiError("unhealthy", `${message}${tail}`);
}
