import type { Readable } from "node:stream";
import {
  ApiError,
  checkName,
  EXEC_CHANNEL,
  type ExecClientMessage,
  type ExecQuery,
  type ExecServerMessage,
  execQuerySchema,
} from "@minicloud/shared";
import { WebSocket } from "ws";
import { execTarget } from "../apps/exec-target.ts";
import { type ExecSession, InstanceNotRunningError, type Runtime } from "../runtime/runtime.ts";
import type { Store } from "../store/store.ts";
import type { TenantService } from "../tenants/service.ts";
import { scopedTenant } from "./scope.ts";
import type { UpgradeRoute } from "./upgrade-router.ts";
import { parseWith } from "./validate.ts";

/** Output waits while this much is queued for a slow client, and goes on below the low mark. */
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;

export interface ExecSocketDeps {
  store: Store;
  runtime: Runtime;
  tenants: TenantService;
}

/**
 * `GET /v1/apps/:name/exec` upgraded to a WebSocket: runs an argv in one of the app's running
 * instances and bridges its stdio (protocol: docs/api.md). Everything that can refuse (the app,
 * the instance, the engine) is checked before the handshake, so refusals are problem+json.
 */
export function execUpgrade(deps: ExecSocketDeps): UpgradeRoute {
  return {
    path: "/v1/apps/:name/exec",
    audited: true,
    async accept(upgrade) {
      const { url, params, principal } = upgrade;
      const app = params.name ?? "";
      const query = execQueryOf(url.searchParams);
      const tty = query.tty === "true";
      upgrade.exec = { instance: query.instance ?? null, command: query.cmd, tty };
      if (checkName(app)) throw new ApiError("not_found", `app ${app} not found`);
      const tenant = scopedTenant(principal, url.searchParams.get("tenant") ?? undefined, deps.tenants);
      const target = await execTarget(deps.store.state, deps.runtime, tenant, app, query.instance);
      upgrade.exec.instance = target.instanceId;
      let session: ExecSession;
      try {
        session = await deps.runtime.exec(target.containerId, { command: query.cmd, tty, cols: query.cols, rows: query.rows });
      } catch (error) {
        if (error instanceof InstanceNotRunningError) {
          throw new ApiError("conflict", `instance ${target.instanceId} of ${app} stopped just now — see \`mc status ${app}\``);
        }
        throw error;
      }
      return { open: (ws) => bridge(ws, session), abort: () => session.close() };
    },
  };
}

/** The query with `cmd` gathered (it repeats, one argv element each); `tenant` is the scope's. */
function execQueryOf(params: URLSearchParams): ExecQuery {
  const query: Record<string, unknown> = {};
  for (const [name, value] of params) {
    if (name !== "cmd" && name !== "tenant") query[name] = value;
  }
  const cmd = params.getAll("cmd");
  if (cmd.length > 0) query.cmd = cmd;
  return parseWith(execQuerySchema, query);
}

/** Binary frames carry stdin in and channel-tagged output out; text frames carry control messages. */
function bridge(ws: WebSocket, session: ExecSession): void {
  forward(session.stdout, EXEC_CHANNEL.stdout, ws);
  forward(session.stderr, EXEC_CHANNEL.stderr, ws);
  ws.on("message", (data: Buffer, isBinary) => {
    if (isBinary) {
      if (session.stdin.writableEnded) return;
      // A slow process holds the client back instead of the daemon buffering its input.
      if (!session.stdin.write(data)) {
        ws.pause();
        session.stdin.once("drain", () => ws.resume());
      }
      return;
    }
    const message = controlMessage(data);
    if (message?.type === "resize") session.resize(message.cols, message.rows).catch(() => undefined);
    if (message?.type === "eof" && !session.stdin.writableEnded) session.stdin.end();
  });
  ws.on("close", () => session.close());
  ws.on("error", () => session.close());
  void session.exitCode().then((code) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (code === null) {
      send(ws, { type: "error", code: "engine_unavailable", message: "the engine did not report the command's exit code" });
      ws.close(1011);
      return;
    }
    send(ws, { type: "exit", code });
    ws.close(1000);
  });
}

function forward(output: Readable, channel: number, ws: WebSocket): void {
  const prefix = Buffer.from([channel]);
  output.on("data", (chunk: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(Buffer.concat([prefix, chunk]), () => {
      if (output.isPaused() && ws.bufferedAmount < LOW_WATER_BYTES) output.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER_BYTES) output.pause();
  });
}

function send(ws: WebSocket, message: ExecServerMessage): void {
  ws.send(JSON.stringify(message));
}

function controlMessage(data: Buffer): ExecClientMessage | undefined {
  try {
    const message = JSON.parse(data.toString("utf8")) as Partial<ExecClientMessage> & { cols?: unknown; rows?: unknown };
    if (message.type === "eof") return { type: "eof" };
    const size = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 1000;
    if (message.type === "resize" && size(message.cols) && size(message.rows)) {
      return { type: "resize", cols: message.cols as number, rows: message.rows as number };
    }
  } catch {
    // Not JSON: ignored, like an unknown message type (newer clients may send more).
  }
  return undefined;
}
