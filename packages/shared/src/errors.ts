import type { z } from "zod";

export const ERROR_CODES = [
  "invalid_input",
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "quota_exceeded",
  "rate_limited",
  "engine_unavailable",
  "payload_too_large",
  "unhealthy",
  "build_failed",
  "internal",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unhealthy: 422,
  build_failed: 422,
  quota_exceeded: 403,
  rate_limited: 429,
  engine_unavailable: 503,
  internal: 500,
};

/** The one error type of the contract: thrown by the daemon, rebuilt by the client. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly fields: { field: string; message: string }[] | undefined;

  constructor(code: ErrorCode, message: string, fields?: { field: string; message: string }[]) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = HTTP_STATUS_BY_CODE[code];
    this.fields = fields;
  }
}

/** Turns zod issues into "field: rule" pairs and one readable message. */
export function describeIssues(error: z.ZodError): { message: string; fields: { field: string; message: string }[] } {
  const fields = error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join(".") : "(body)",
    message: issue.message,
  }));
  return { message: fields.map((f) => `${f.field}: ${f.message}`).join("; "), fields };
}
