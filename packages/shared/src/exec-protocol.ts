/**
 * The exec WebSocket protocol (`GET /v1/apps/:name/exec`), shared by mcd and every client. Binary
 * frames carry bytes: client→server stdin as is; server→client one channel byte, then the payload.
 * Text frames carry one JSON control message each. Free of zod, so the CLI loads it cheaply.
 */

/** The first byte of every binary frame the server sends (Docker's own stream numbers). */
export const EXEC_CHANNEL = { stdout: 1, stderr: 2 } as const;

/** The argv a console runs when none is given. */
export const DEFAULT_SHELL = ["/bin/sh"];

/** Client→server: the terminal's size changed; stdin is finished (EOF for the process). */
export type ExecClientMessage = { type: "resize"; cols: number; rows: number } | { type: "eof" };

/**
 * Server→client: the process ended with this code (the last message before a normal close), or the
 * session failed after the upgrade (the engine went away, say), with a stable error code.
 */
export type ExecServerMessage = { type: "exit"; code: number } | { type: "error"; code: string; message: string };

/** What a client asks for; `command` is an argv, never a shell string. */
export interface ExecRequest {
  command: string[];
  /** An instance id of the app; default: its first running instance. */
  instance?: string | undefined;
  tty?: boolean | undefined;
  cols?: number | undefined;
  rows?: number | undefined;
  /** The tenant an admin acts on. */
  tenant?: string | undefined;
}

/** The path and query of an exec upgrade: `cmd` repeats, one argv element each. */
export function execPath(app: string, request: ExecRequest): string {
  const query = new URLSearchParams();
  for (const arg of request.command) query.append("cmd", arg);
  if (request.instance) query.set("instance", request.instance);
  query.set("tty", String(request.tty ?? false));
  if (request.cols) query.set("cols", String(request.cols));
  if (request.rows) query.set("rows", String(request.rows));
  if (request.tenant) query.set("tenant", request.tenant);
  return `/v1/apps/${encodeURIComponent(app)}/exec?${query}`;
}
