import type { Readable, Writable } from "node:stream";
import type { Endpoint, ExecRequest, ExecServerMessage } from "@minicloud/shared/client";
import { ApiError, ERROR_CODES, type ErrorCode, problemError } from "@minicloud/shared/errors";

/** Stdin waits while this much is queued for the daemon. */
const HIGH_WATER_BYTES = 1024 * 1024;

export interface ExecStreams {
  /** Piped to the process, then EOF; undefined sends EOF at once. */
  stdin: Readable | undefined;
  stdout: Writable;
  stderr: Writable;
}

/** An open session: the terminal size can change while it runs. */
export interface ExecControl {
  resize(cols: number, rows: number): void;
}

/**
 * Runs a command over the exec WebSocket and resolves with its exit code once the daemon said so.
 * Refusals (problem+json before the handshake) and failures after it reject with an ApiError;
 * an unreachable daemon with the same ConnectionError as every other command.
 */
export async function runExec(
  endpoint: Endpoint,
  app: string,
  request: ExecRequest,
  streams: ExecStreams,
  onOpen: (control: ExecControl) => void = () => undefined,
): Promise<number> {
  // Loaded here: only exec and console need a WebSocket client.
  const [{ default: WebSocket }, { EXEC_CHANNEL, execPath, socketTarget }, { unreachableError }] = await Promise.all([
    import("ws"),
    import("@minicloud/shared/client"),
    import("@minicloud/shared/connection-errors"),
  ]);
  const target = await socketTarget(endpoint, execPath(app, request));
  const ws = new WebSocket(target.url, {
    headers: target.headers,
    ...(target.socket ? { createConnection: () => target.socket as never } : {}),
  });
  const control = (message: { type: string; [key: string]: unknown }) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  };

  return new Promise<number>((resolve, reject) => {
    let opened = false;
    let refused = false;
    let ending: { code: number } | ApiError | undefined;
    ws.on("unexpected-response", (_request, response) => {
      // The daemon answered: whatever the connection does next, this answer is what users see.
      refused = true;
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => {
        reject(problemError(response.statusCode ?? 500, body));
        ws.terminate();
      });
      response.on("error", () => reject(problemError(response.statusCode ?? 500, body)));
    });
    ws.on("error", (error) => {
      if (refused) return;
      if (!opened) return reject(unreachableError(endpoint.host, error));
      ending ??= new ApiError("internal", `the exec session failed: ${error.message}`);
    });
    ws.on("open", () => {
      opened = true;
      pipeStdin(streams.stdin, ws, () => control({ type: "eof" }));
      onOpen({ resize: (cols, rows) => control({ type: "resize", cols, rows }) });
    });
    ws.on("message", (data: Buffer, isBinary) => {
      if (!isBinary) {
        const message = JSON.parse(data.toString("utf8")) as ExecServerMessage;
        if (message.type === "exit") ending = { code: message.code };
        if (message.type === "error") ending = new ApiError(knownCode(message.code), message.message);
        return;
      }
      const output = data[0] === EXEC_CHANNEL.stderr ? streams.stderr : streams.stdout;
      // A slow terminal or pipe holds the daemon back instead of filling memory here.
      if (!output.write(data.subarray(1))) {
        ws.pause();
        output.once("drain", () => ws.resume());
      }
    });
    ws.on("close", (code, reason) => {
      streams.stdin?.pause();
      if (!opened) return;
      if (ending instanceof ApiError) return reject(ending);
      if (ending) return resolve(ending.code);
      const why = reason.length > 0 ? reason.toString() : `code ${code}`;
      reject(new ApiError("internal", `the exec session ended before the command did (${why})`));
    });
  });
}

function pipeStdin(stdin: Readable | undefined, ws: import("ws").WebSocket, eof: () => void): void {
  if (!stdin) {
    eof();
    return;
  }
  stdin.on("data", (chunk: Buffer) => {
    ws.send(chunk, { binary: true }, () => {
      if (stdin.isPaused() && ws.bufferedAmount < HIGH_WATER_BYTES) stdin.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER_BYTES) stdin.pause();
  });
  stdin.once("end", eof);
  stdin.once("error", eof);
}

function knownCode(code: string): ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : "internal";
}
