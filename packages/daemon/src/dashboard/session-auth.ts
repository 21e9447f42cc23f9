import { ApiError } from "@minicloud/shared";
import type { Principal } from "../api/env.ts";
import type { Store } from "../store/store.ts";
import type { Session, Sessions } from "./sessions.ts";

export const SESSION_COOKIE = "mc_session";

/** Why a session is not (or no longer) good: shown on the sign-in page, never anything secret. */
export type EndReason = "signed-out" | "expired" | "revoked" | "required";

export class SessionEnded extends ApiError {
  readonly reason: EndReason;
  constructor(reason: EndReason) {
    super("unauthorized", END_MESSAGES[reason]);
    this.reason = reason;
  }
}

export const END_MESSAGES: Record<EndReason, string> = {
  "signed-out": "You signed out.",
  expired: "Your session or its API key has expired — sign in again.",
  revoked: "The API key of this session was revoked, so the session has ended — sign in with another key.",
  required: "Sign in with an API key to open the dashboard.",
};

export interface SignedIn {
  id: string;
  session: Session;
  principal: Principal;
}

/**
 * The signed-in caller behind a Cookie header. The key behind the session is looked up on every
 * request: revoked, expired or gone, the key's sessions end there and then.
 */
export async function signedIn(store: Store, sessions: Sessions, cookieHeader: string | undefined): Promise<SignedIn> {
  const id = cookieValue(cookieHeader, SESSION_COOKIE);
  const session = sessions.get(id);
  if (!id || !session) throw new SessionEnded(id ? "expired" : "required");
  const record = store.state.keys.find((k) => k.id === session.keyId);
  const ended: EndReason | undefined = !record || record.revokedAt ? "revoked" : expired(record.expiresAt) ? "expired" : undefined;
  if (ended || !record) {
    await sessions.endKey(session.keyId);
    throw new SessionEnded(ended ?? "revoked");
  }
  return { id, session, principal: { role: record.role, tenant: record.tenant, keyId: record.id } };
}

function expired(expiresAt: string | null | undefined): boolean {
  return Boolean(expiresAt && Date.parse(expiresAt) <= Date.now());
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=") || undefined;
  }
  return undefined;
}
