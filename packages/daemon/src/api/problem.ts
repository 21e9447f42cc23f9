import { ApiError, describeIssues, type ErrorCode, HTTP_STATUS_BY_CODE, type Problem } from "@minicloud/shared";
import type { Context } from "hono";
import { ZodError } from "zod";
import { EngineUnavailableError } from "../runtime/runtime.ts";
import type { ApiEnv } from "./env.ts";

const TITLES: Record<ErrorCode, string> = {
  invalid_input: "Invalid input",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  conflict: "Conflict",
  payload_too_large: "Payload too large",
  unhealthy: "Instance unhealthy",
  build_failed: "Build failed",
  quota_exceeded: "Quota exceeded",
  rate_limited: "Rate limited",
  engine_unavailable: "Engine unavailable",
  internal: "Internal error",
};

/** Maps anything thrown in a handler to an ApiError; unknown errors become `internal`. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ZodError) {
    const { message, fields } = describeIssues(error);
    return new ApiError("invalid_input", message, fields);
  }
  if (error instanceof EngineUnavailableError) {
    return new ApiError("engine_unavailable", `${error.message} — start it (dockerd, or scripts/setup) and retry`);
  }
  return new ApiError("internal", "internal error — see the daemon log for the request id");
}

/** An error as an RFC 9457 problem document. */
export function problemOf(error: ApiError, path: string, requestId: string): Problem {
  return {
    type: `https://minicloud.dev/problems/${error.code}`,
    title: TITLES[error.code],
    status: HTTP_STATUS_BY_CODE[error.code],
    code: error.code,
    detail: error.message,
    instance: path,
    requestId,
    ...(error.fields ? { errors: error.fields } : {}),
  };
}

/** Renders an error as RFC 9457 problem+json. */
export function problemResponse(c: Context<ApiEnv>, error: ApiError, headers: Record<string, string> = {}): Response {
  c.set("problemCode", error.code);
  const problem = problemOf(error, c.req.path, c.get("requestId"));
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}
