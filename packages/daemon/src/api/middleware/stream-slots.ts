import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../env.ts";
import type { StreamLimits } from "../stream-limits.ts";

/** Requests whose answers stay open: follows and builds. */
const FOLLOWABLE = /^\/v1\/(apps\/[^/]+\/logs|events|audit)$/;
const BUILD = /^\/v1\/apps\/[^/]+\/builds$/;

function isStream(method: string, path: string, follow: string | undefined): boolean {
  if (method === "POST") return BUILD.test(path);
  return method === "GET" && follow === "true" && FOLLOWABLE.test(path);
}

/** Holds a stream slot (per key, per tenant, fd budget) for as long as the response's connection is open. */
export function streamSlots(limits: StreamLimits): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (!isStream(c.req.method, c.req.path, c.req.query("follow"))) return next();
    const release = limits.acquire(c.get("principal"));
    // The response closes when it is done or the client goes away; either frees the slot.
    const outgoing = c.env?.outgoing;
    if (outgoing) outgoing.once("close", release);
    try {
      await next();
    } catch (error) {
      release();
      throw error;
    }
    if (!outgoing || c.res.status >= 400) release();
  };
}
