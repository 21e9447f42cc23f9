import { ApiError } from "@minicloud/shared";
import type { AuditLog, AuditRecord } from "../../audit/log.ts";

export interface AuthFailureOptions {
  /** Failed authentications answered 401 per client address per window; later ones get 429. */
  limit: number;
  windowSeconds: number;
}

interface Window {
  startedAt: number;
  failures: number;
  /** The window's first failure went to the audit log when it happened. */
  written: boolean;
  /** Failures after the first, written as one entry with their count when the window closes. */
  unwritten: number;
  last: AuditRecord | undefined;
  timer: NodeJS.Timeout;
}

/**
 * Failed authentication per client address (TCP; the Unix socket is admin and cannot fail): a fixed
 * window of `limit` failures answered 401, then 429 with Retry-After until the window ends. Valid keys
 * are never refused here (their own per-key limit applies), so a flood from a shared address does not
 * lock its honest users out. The audit log gets the window's first failure at once and the rest as
 * one entry with a `count` when the window closes, so a flood costs a few lines, not one per request.
 *
 * @example const failures = new AuthFailures({ limit: 20, windowSeconds: 60 }, auditLog)
 */
export class AuthFailures {
  private readonly windows = new Map<string, Window>();
  private readonly options: AuthFailureOptions;
  private readonly log: AuditLog;

  constructor(options: AuthFailureOptions, log: AuditLog) {
    this.options = options;
    this.log = log;
  }

  /** Counts a failed authentication from `address`: undefined to answer 401, or the 429 to answer instead. */
  charge(address: string): { error: ApiError; headers: Record<string, string> } | undefined {
    const window = this.windowOf(address);
    window.failures++;
    if (window.failures <= this.options.limit) return undefined;
    const retryAfter = Math.max(1, Math.ceil((window.startedAt + this.options.windowSeconds * 1000 - Date.now()) / 1000));
    const error = new ApiError(
      "rate_limited",
      `too many failed authentications from ${address}: ${this.options.limit} per ${this.options.windowSeconds}s — check the API key and retry in ${retryAfter}s`,
    );
    return { error, headers: { "Retry-After": String(retryAfter) } };
  }

  /** Audits a failed request from `address`: the window's first at once, the rest counted into one entry. */
  async record(address: string, record: AuditRecord): Promise<void> {
    const window = this.windowOf(address);
    const entry: AuditRecord = { ...record, actor: { ...record.actor, address } };
    if (!window.written) {
      window.written = true;
      await this.log.append(entry);
      return;
    }
    window.unwritten++;
    window.last = entry;
  }

  /** Writes every open window's count (at shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.windows.keys()].map((address) => this.close(address)));
  }

  private windowOf(address: string): Window {
    const current = this.windows.get(address);
    if (current && Date.now() < current.startedAt + this.options.windowSeconds * 1000) return current;
    // A write that fails loses a count, not the daemon (no one awaits these).
    if (current) this.close(address).catch(() => undefined);
    const window: Window = {
      startedAt: Date.now(),
      failures: 0,
      written: false,
      unwritten: 0,
      last: undefined,
      timer: setTimeout(() => this.close(address).catch(() => undefined), this.options.windowSeconds * 1000),
    };
    window.timer.unref();
    this.windows.set(address, window);
    return window;
  }

  private async close(address: string): Promise<void> {
    const window = this.windows.get(address);
    if (!window) return;
    this.windows.delete(address);
    clearTimeout(window.timer);
    // The entry stands for `count` requests; its other fields are the last one's.
    if (window.unwritten > 0 && window.last) await this.log.append({ ...window.last, count: window.unwritten });
  }
}
