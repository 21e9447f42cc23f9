import type { z } from "zod";

export const ERROR_CODES = [
  "invalid_input",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
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
  method_not_allowed: 405,
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

/** Rebuilds the ApiError behind a problem+json answer (any other body becomes `internal`). */
export function problemError(status: number, text: string): ApiError {
  try {
    const problem = JSON.parse(text) as { code?: string; detail?: string; errors?: { field: string; message: string }[] };
    const code = (ERROR_CODES as readonly string[]).includes(problem.code ?? "") ? (problem.code as ErrorCode) : "internal";
    return new ApiError(code, problem.detail ?? `request failed with HTTP ${status}`, problem.errors);
  } catch {
    return new ApiError("internal", `request failed with HTTP ${status}: ${text.slice(0, 200)}`);
  }
}

/** Turns zod issues into "field: rule" pairs and one readable message. */
export function describeIssues(error: z.ZodError): { message: string; fields: { field: string; message: string }[] } {
  const fields = error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join(".") : "request",
    message: plainMessage(issue),
  }));
  return { message: fields.map((f) => `${f.field}: ${f.message}`).join("; "), fields };
}

const TYPE_NAMES: Record<string, string> = {
  number: "a number",
  int: "a whole number",
  string: "text",
  boolean: "true or false",
  array: "a list",
  object: "an object",
};

/**
 * zod's own wording ("Invalid input: expected number, received NaN") says what the parser saw;
 * users need the rule. Messages the schemas spell out themselves are kept as they are.
 */
function plainMessage(issue: z.core.$ZodIssue): string {
  const raw = issue as {
    code: string;
    message: string;
    input?: unknown;
    expected?: string;
    minimum?: unknown;
    maximum?: unknown;
    origin?: string;
    inclusive?: boolean;
    keys?: string[];
  };
  const generic = /^(Invalid input|Too small|Too big|Unrecognized key|Invalid option)/.test(raw.message);
  if (!generic) return raw.message;
  switch (raw.code) {
    case "invalid_type":
      // Issues do not carry the input unless asked to; the default message names what was received.
      return / received undefined$/.test(raw.message) ? "is required" : `must be ${TYPE_NAMES[raw.expected ?? ""] ?? raw.expected}`;
    case "too_small":
      return bound("at least", "more than", raw.minimum, raw);
    case "too_big":
      return bound("at most", "less than", raw.maximum, raw);
    case "unrecognized_keys":
      return `unknown setting${(raw.keys?.length ?? 0) > 1 ? "s" : ""} ${raw.keys?.map((k) => `"${k}"`).join(", ")} (not part of this request)`;
    default:
      return raw.message.replace(/^Invalid input: /, "");
  }
}

function bound(inclusiveWord: string, exclusiveWord: string, limit: unknown, raw: { origin?: string; inclusive?: boolean }): string {
  const word = raw.inclusive === false ? exclusiveWord : inclusiveWord;
  if (raw.origin === "string") return `must be ${word} ${String(limit)} characters long`;
  if (raw.origin === "array" || raw.origin === "set") return `must have ${word} ${String(limit)} item(s)`;
  return `must be ${word} ${String(limit)}`;
}
