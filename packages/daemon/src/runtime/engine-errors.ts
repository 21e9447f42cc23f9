import { EngineUnavailableError } from "./runtime.ts";

/** The engine's own words for a failed call. */
export function messageOf(error: unknown): string {
  return (error as { json?: { message?: string } }).json?.message ?? String((error as Error).message);
}

export function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** Connection failures become EngineUnavailableError; engine answers keep their message. */
export function engineError(error: unknown): Error {
  const code = (error as { code?: string }).code;
  if (code === "ECONNREFUSED" || code === "ENOENT" || code === "EACCES") return new EngineUnavailableError(error);
  if (error instanceof Error) {
    const json = (error as { json?: { message?: string } }).json;
    if (json?.message) error.message = json.message;
    return error;
  }
  return new Error(String(error));
}
