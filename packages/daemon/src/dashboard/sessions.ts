import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** How long a dashboard session lasts from sign-in; signing in again starts a new one. */
export const SESSION_TTL_MS = 8 * 3600_000;
/** Sessions one key may hold at once; signing in again past it ends that key's oldest. */
export const SESSIONS_PER_KEY = 20;

export interface Session {
  /** The API key the session was exchanged for: its state is checked on every request. */
  keyId: string;
  /** Sent back in `X-CSRF-Token` on every state-changing request. */
  csrf: string;
  expiresAt: number;
}

/**
 * Server-side dashboard sessions. The cookie holds a random id; the file holds only its SHA-256
 * (0600), so a copy of the file signs nobody in. Kept on disk so a daemon restart keeps people signed in.
 */
export class Sessions {
  private readonly byHash = new Map<string, Session>();
  private writes: Promise<void> = Promise.resolve();

  private readonly file: string;

  private constructor(file: string) {
    this.file = file;
  }

  static async open(dataDir: string): Promise<Sessions> {
    const dir = path.join(dataDir, "dashboard");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const sessions = new Sessions(path.join(dir, "sessions.json"));
    try {
      const saved = JSON.parse(await readFile(sessions.file, "utf8")) as Record<string, Session>;
      for (const [hash, session] of Object.entries(saved)) if (session.expiresAt > Date.now()) sessions.byHash.set(hash, session);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    return sessions;
  }

  async create(keyId: string, now = Date.now()): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString("base64url");
    const session: Session = { keyId, csrf: randomBytes(24).toString("base64url"), expiresAt: now + SESSION_TTL_MS };
    this.byHash.set(hashOf(id), session);
    // Bounded: a script signing in over and over cannot grow the file without end.
    const ofKey = [...this.byHash].filter(([, s]) => s.keyId === keyId).sort(([, a], [, b]) => a.expiresAt - b.expiresAt);
    for (const [hash] of ofKey.slice(0, Math.max(0, ofKey.length - SESSIONS_PER_KEY))) this.byHash.delete(hash);
    await this.save();
    return { id, session };
  }

  /** The live session behind a cookie value; an expired one is forgotten. */
  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (!id) return undefined;
    const hash = hashOf(id);
    const session = this.byHash.get(hash);
    if (!session) return undefined;
    if (session.expiresAt <= now) {
      this.byHash.delete(hash);
      void this.save();
      return undefined;
    }
    return session;
  }

  async end(id: string): Promise<void> {
    if (this.byHash.delete(hashOf(id))) await this.save();
  }

  /** Every session of a key (it was revoked or expired). */
  async endKey(keyId: string): Promise<void> {
    let changed = false;
    for (const [hash, session] of this.byHash) {
      if (session.keyId === keyId) changed = this.byHash.delete(hash);
    }
    if (changed) await this.save();
  }

  private save(): Promise<void> {
    const snapshot = JSON.stringify(Object.fromEntries(this.byHash));
    this.writes = this.writes
      .catch(() => {})
      .then(async () => {
        const temp = `${this.file}.tmp`;
        await writeFile(temp, snapshot, { mode: 0o600 });
        await rename(temp, this.file);
      });
    return this.writes;
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
