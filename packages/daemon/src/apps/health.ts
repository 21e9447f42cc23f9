import { ApiError } from "@minicloud/shared";
import type { Runtime, RuntimeInstance } from "../runtime/runtime.ts";

const POLL_MS = 50;
const PROBE_TIMEOUT_MS = 1000;
/** An app without a port counts as healthy once it has kept running this long. */
export const RUNNING_GRACE_MS = 2000;
const LAST_LOG_LINES = 10;

export interface HealthTarget {
  port?: number | null | undefined;
  healthPath: string;
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
  while (true) {
    const current = await runtime.inspectInstance(instance.containerId);
    if (current?.state !== "running") {
      const reason = current ? `exited with code ${current.exitCode ?? "?"}` : "disappeared";
      throw await unhealthy(runtime, instance, `instance ${instance.instanceId} ${reason} before it became healthy`);
    }
    if (target.port == null) {
      if (Date.now() - started >= RUNNING_GRACE_MS) return;
    } else if (current.ip !== null && (await probeHttp(`${current.ip}:${target.port}`, target.healthPath))) {
      return;
    }
    if (Date.now() - started > timeoutMs) {
      const seconds = Math.round(timeoutMs / 1000);
      throw await unhealthy(
        runtime,
        instance,
        `instance ${instance.instanceId} did not answer HTTP on port ${target.port} at ${target.healthPath} within ${seconds}s — does the image listen on port ${target.port}? Set --port to the port it listens on`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
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
