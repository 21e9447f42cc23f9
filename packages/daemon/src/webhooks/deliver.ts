import { createHmac } from "node:crypto";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import { Agent, request } from "undici";
import { portOf, refusalOf, type TargetRules } from "./target-rules.ts";

/** What one attempt gave: the receiver's status, or why there was none. */
export interface AttemptOutcome {
  status: number | null;
  error: string | null;
  ms: number;
}

/** `sha256=<hex>`: the HMAC-SHA256 of the exact body bytes, keyed by the webhook's secret. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** A refused target, as an attempt outcome rather than a thrown error. */
export class TargetRefused extends Error {}

/**
 * One POST of a delivery, bounded in time (connect, headers and body all within `timeoutMs`). The
 * address is checked again at connect time, after DNS, so a name that later resolves to a host
 * address (DNS rebinding) is refused too.
 */
export async function attempt(
  url: string,
  body: string,
  headers: Record<string, string>,
  rules: TargetRules,
  timeoutMs: number,
): Promise<AttemptOutcome> {
  const started = performance.now();
  const target = new URL(url);
  const port = portOf(target);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  const dispatcher = new Agent({
    connect: { timeout: timeoutMs, lookup: guardedLookup(rules, port) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connections: 1,
    pipelining: 0,
  });
  try {
    if (isIP(host)) {
      const refused = refusalOf(host, port, rules);
      if (refused) throw new TargetRefused(refused);
    }
    const response = await request(target, {
      method: "POST",
      dispatcher,
      headers: { "content-type": "application/json", "user-agent": "minicloud-webhooks", ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      maxRedirections: 0,
    } as Parameters<typeof request>[1]);
    await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    return {
      status: response.statusCode,
      error: response.statusCode < 300 ? null : `answered ${response.statusCode}`,
      ms: elapsed(started),
    };
  } catch (error) {
    return { status: null, error: describe(error, timeoutMs), ms: elapsed(started) };
  } finally {
    void dispatcher.destroy().catch(() => undefined);
  }
}

/** Checks a URL's host before it is stored: its addresses must all be allowed targets. */
export async function checkTarget(url: string, rules: TargetRules): Promise<string | undefined> {
  const target = new URL(url);
  const port = portOf(target);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host)) return refusalOf(host, port, rules);
  const addresses = await new Promise<LookupAddress[] | undefined>((resolve) =>
    dnsLookup(host, { all: true }, (error, found) => resolve(error ? undefined : found)),
  );
  if (!addresses || addresses.length === 0) return `${host} does not resolve`;
  for (const { address } of addresses) {
    const refused = refusalOf(address, port, rules);
    if (refused) return `${host} resolves to ${refused}`;
  }
  return undefined;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function guardedLookup(rules: TargetRules, port: number) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      for (const { address } of addresses) {
        const refused = refusalOf(address, port, rules);
        if (refused) return callback(Object.assign(new TargetRefused(`${hostname} resolves to ${refused}`), { code: "EREFUSED" }), []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      return first
        ? callback(null, first.address, first.family)
        : callback(Object.assign(new Error(`${hostname} does not resolve`), { code: "ENOTFOUND" }), []);
    });
  };
}

function describe(error: unknown, timeoutMs: number): string {
  const err = error as { name?: string; code?: string; message?: string };
  if (err.name === "TimeoutError" || err.name === "AbortError" || /Timeout/i.test(err.code ?? "")) {
    return `no answer within ${timeoutMs / 1000}s (timed out)`;
  }
  if (error instanceof TargetRefused) return `refused: ${error.message}`;
  return err.code ? `${err.code}: ${err.message ?? ""}`.trim() : (err.message ?? String(error));
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
