import { CertificateMismatchError, ConnectionError } from "@minicloud/shared/connection-errors";
import { ApiError, describeIssues } from "@minicloud/shared/errors";
import { ZodError } from "zod";
import { UsageError } from "./usage-error.ts";

export { UsageError };

export interface ClassifiedError {
  code: string;
  message: string;
  exit: 1 | 2;
}

/** One place decides what users see and which exit code scripts get. */
export function classify(error: unknown): ClassifiedError {
  if (error instanceof UsageError) return { code: "invalid_input", message: error.message, exit: 2 };
  if (error instanceof ZodError) return { code: "invalid_input", message: describeIssues(error).message, exit: 2 };
  if (error instanceof ApiError) return { code: error.code, message: error.message, exit: error.code === "invalid_input" ? 2 : 1 };
  if (error instanceof ConnectionError) return { code: "daemon_unreachable", message: error.message, exit: 1 };
  if (error instanceof CertificateMismatchError) return { code: "certificate_mismatch", message: error.message, exit: 1 };
  const oclifExit = (error as { oclif?: { exit?: number } }).oclif?.exit;
  const message = error instanceof Error ? error.message : String(error);
  if (oclifExit === 2) return { code: "invalid_input", message, exit: 2 };
  return { code: "internal", message, exit: 1 };
}
