import { problemError } from "@minicloud/shared";
import type { ApiEnv, Principal } from "../api/env.ts";

/** The API's own fetch: every dashboard read and action goes through the same handlers as the CLI. */
export type Dispatch = (request: Request, env: ApiEnv["Bindings"]) => Response | Promise<Response>;

/**
 * Calls the API as the signed-in principal: the route's scoping, quota, audit and problem+json
 * rules apply unchanged (the audit entry names the session's key, like a CLI call with that key).
 */
export function callApi(
  dispatch: Dispatch,
  env: ApiEnv["Bindings"],
  principal: Principal,
  method: string,
  path: string,
  body?: string,
  charged = true,
): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const request = new Request(new URL(path, "http://mcd"), { method, headers, body: body ?? null });
  return Promise.resolve(dispatch(request, { ...env, sessionPrincipal: principal, ...(charged ? {} : { uncharged: true }) }));
}

/** A JSON read typed by the shared schemas' types; a problem answer is thrown as its ApiError. */
export async function readJson<T>(
  dispatch: Dispatch,
  env: ApiEnv["Bindings"],
  principal: Principal,
  path: string,
  charged = true,
): Promise<T> {
  const response = await callApi(dispatch, env, principal, "GET", path, undefined, charged);
  const text = await response.text();
  if (!response.ok) throw problemError(response.status, text);
  return JSON.parse(text) as T;
}

/** An NDJSON read (logs, audit), parsed line by line. */
export async function readLines<T>(
  dispatch: Dispatch,
  env: ApiEnv["Bindings"],
  principal: Principal,
  path: string,
  charged = true,
): Promise<T[]> {
  const response = await callApi(dispatch, env, principal, "GET", path, undefined, charged);
  const text = await response.text();
  if (!response.ok) throw problemError(response.status, text);
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as T);
}
