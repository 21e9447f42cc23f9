import { randomUUID, sign } from "node:crypto";
import type { SigningKey } from "./signing-key.ts";

/** The `service` and `iss` the registry's token auth is configured with. */
export const SERVICE = "minicloud-registry";
export const ISSUER = "mcd";
/** Long enough for a large push (the engine fetches a new token when one expires mid-push). */
export const TOKEN_LIFETIME_SECONDS = 300;

export type Action = "pull" | "push" | "delete";

/** One entry of a token's `access` claim (and of a request's `scope`). */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/**
 * A request's `scope` parameters (`repository:acme/web:pull,push`, several allowed). The name may
 * hold colons (a registry host with a port), so the actions are what follows the last one.
 */
export function parseScopes(scopes: string[]): Access[] {
  const parsed: Access[] = [];
  for (const scope of scopes.flatMap((s) => s.split(" "))) {
    const first = scope.indexOf(":");
    const last = scope.lastIndexOf(":");
    if (first <= 0 || last === first) continue;
    parsed.push({
      type: scope.slice(0, first),
      name: scope.slice(first + 1, last),
      actions: scope
        .slice(last + 1)
        .split(",")
        .filter(Boolean),
    });
  }
  return parsed;
}

export interface Caller {
  tenant: string;
  /** An admin key may pull every repository (for support and migration); push stays in its own namespace. */
  admin: boolean;
}

/**
 * What a caller gets of what it asked: pull and push on repositories under `<tenant>/`, pull
 * everywhere for an admin, nothing else — no catalog, no delete, no other namespace. Refused parts
 * are left out (the registry then answers 401/denied), as the protocol expects.
 */
export function grant(caller: Caller, requested: Access[]): Access[] {
  const granted: Access[] = [];
  for (const access of requested) {
    if (access.type !== "repository") continue;
    const own = access.name.startsWith(`${caller.tenant}/`);
    const allowed = access.actions.filter((action) => (action === "pull" && (own || caller.admin)) || (action === "push" && own));
    if (allowed.length > 0) granted.push({ type: "repository", name: access.name, actions: [...new Set(allowed)] });
  }
  return granted;
}

function base64url(value: object | Buffer): string {
  return (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString("base64url");
}

/** A JWT the registry accepts: ES256, the certificate in `x5c` (verified against its rootcertbundle). */
export function signToken(
  key: SigningKey,
  subject: string,
  access: Access[],
  now = Date.now(),
): { token: string; expiresIn: number; issuedAt: string } {
  const iat = Math.floor(now / 1000);
  const header = { typ: "JWT", alg: "ES256", x5c: [key.certificate] };
  const claims = {
    iss: ISSUER,
    sub: subject,
    aud: SERVICE,
    iat,
    nbf: iat - 10,
    exp: iat + TOKEN_LIFETIME_SECONDS,
    jti: randomUUID(),
    access,
  };
  const input = `${base64url(header)}.${base64url(claims)}`;
  const signature = sign("sha256", Buffer.from(input), { key: key.key, dsaEncoding: "ieee-p1363" });
  return { token: `${input}.${base64url(signature)}`, expiresIn: TOKEN_LIFETIME_SECONDS, issuedAt: new Date(iat * 1000).toISOString() };
}
