import { ApiError } from "@minicloud/shared";
import type { Runtime } from "../runtime/runtime.ts";
import type { State } from "../store/schema.ts";
import { requireAnyApp } from "./records.ts";

export interface ExecTarget {
  instanceId: string;
  containerId: string;
}

/**
 * The instance of a tenant's app a command runs in: the one asked for, else the first that runs.
 * Another tenant's app is not_found; a stopped app, or one with nothing running, is a conflict that
 * says what to do.
 */
export async function execTarget(
  state: Readonly<State>,
  runtime: Runtime,
  tenant: string,
  app: string,
  instanceId: string | undefined,
): Promise<ExecTarget> {
  const record = requireAnyApp(state, tenant, app);
  if (record.desired === "stopped") throw new ApiError("conflict", `${app} is stopped — run \`mc start ${app}\``);
  const candidates = instanceId === undefined ? record.instances : record.instances.filter((i) => i.id === instanceId);
  if (candidates.length === 0 && instanceId !== undefined) {
    throw new ApiError("not_found", `instance ${instanceId} is not an instance of ${app} — see \`mc status ${app}\``);
  }
  for (const candidate of candidates) {
    const observed = await runtime.inspectInstance(candidate.containerId);
    if (observed?.state === "running") return { instanceId: candidate.id, containerId: candidate.containerId };
  }
  throw new ApiError(
    "conflict",
    instanceId === undefined
      ? `${app} has no running instance — see \`mc status ${app}\``
      : `instance ${instanceId} of ${app} is not running — see \`mc status ${app}\`, or leave out --instance`,
  );
}
