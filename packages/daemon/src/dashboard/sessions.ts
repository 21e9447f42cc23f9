import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { DashboardSessionRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";

/** How long a dashboard session lasts from sign-in; signing in again starts a new one. */
export const SESSION_TTL_MS = 8 * 3600_000;
/** Sessions one key may hold at once; signing in again past it ends that key's oldest. */
export const SESSIONS_PER_KEY = 20;

export type Session = Omit<DashboardSessionRecord, "hash">;

/**
 * Server-side dashboard sessions, in the daemon's state (so a restart keeps people signed in).
 * The cookie holds a random id; the state holds only its SHA-256, so a copy of it signs nobody in.
 */
export class Sessions {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  async create(keyId: string, now = Date.now()): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString("base64url");
    const session: Session = { keyId, csrf: randomBytes(24).toString("base64url"), expiresAt: now + SESSION_TTL_MS };
    await this.store.update((state) => {
      // Expired ones go; a key keeps its newest SESSIONS_PER_KEY, so signing in over and over grows nothing.
      const ofKey = state.dashboardSessions.filter((s) => s.keyId === keyId && s.expiresAt > now).sort((a, b) => a.expiresAt - b.expiresAt);
      const ended = new Set(ofKey.slice(0, Math.max(0, ofKey.length + 1 - SESSIONS_PER_KEY)).map((s) => s.hash));
      state.dashboardSessions = state.dashboardSessions.filter((s) => s.expiresAt > now && !ended.has(s.hash));
      state.dashboardSessions.push({ hash: hashOf(id), ...session });
    });
    return { id, session };
  }

  /** The live session behind a cookie value; an expired one is forgotten. */
  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (!id) return undefined;
    const hash = hashOf(id);
    const record = this.store.state.dashboardSessions.find((s) => s.hash === hash);
    if (!record) return undefined;
    if (record.expiresAt <= now) {
      void this.remove((s) => s.hash === hash);
      return undefined;
    }
    return { keyId: record.keyId, csrf: record.csrf, expiresAt: record.expiresAt };
  }

  async end(id: string): Promise<void> {
    const hash = hashOf(id);
    await this.remove((s) => s.hash === hash);
  }

  /** Every session of a key (it was revoked or expired). */
  async endKey(keyId: string): Promise<void> {
    await this.remove((s) => s.keyId === keyId);
  }

  private async remove(which: (session: DashboardSessionRecord) => boolean): Promise<void> {
    if (!this.store.state.dashboardSessions.some(which)) return;
    await this.store.update((state) => {
      state.dashboardSessions = state.dashboardSessions.filter((s) => !which(s));
    });
  }
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(session: Session, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

function hashOf(id: string): string {
  return createHash("sha256").update(id).digest("hex");
}
