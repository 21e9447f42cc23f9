import { ApiError, describeIssues } from "@minicloud/shared";
import type { Context } from "hono";
import type { z } from "zod";

/** Parses a JSON body against a shared schema; malformed JSON and schema issues are `invalid_input`. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ApiError("invalid_input", "the request body must be JSON");
  }
  return parseWith(schema, body);
}

export function queryOf<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const { tenant: _tenant, ...query } = c.req.query();
  return parseWith(schema, query);
}

/** Parses a value against a shared schema; issues are `invalid_input` naming the fields. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const { message, fields } = describeIssues(result.error);
    throw new ApiError("invalid_input", message, fields);
  }
  return result.data;
}
