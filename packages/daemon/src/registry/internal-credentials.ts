import { createHmac, timingSafeEqual } from "node:crypto";

const PREFIX = "mcd1.";
/** Long enough for a large pull: the engine asks the token endpoint with it again per token. */
const LIFETIME_SECONDS = 600;

/**
 * Short-lived passwords mcd makes for a tenant's own pulls and pushes to the built-in registry
 * (`<tenant>` / `mcd1.<expiry>.<hmac>`): they go through the same token endpoint as a `docker login`
 * with an API key, which mcd cannot hand out (it keeps only their hashes).
 */
export class InternalCredentials {
  private readonly secret: string;

  constructor(secret: string) {
    this.secret = secret;
  }

  for(tenant: string, now = Date.now()): { username: string; password: string } {
    const expires = Math.floor(now / 1000) + LIFETIME_SECONDS;
    return { username: tenant, password: `${PREFIX}${expires}.${this.mac(tenant, expires)}` };
  }

  /** Whether a password is one of ours (then `verify` has the last word; an API key never starts so). */
  static isInternal(password: string): boolean {
    return password.startsWith(PREFIX);
  }

  verify(tenant: string, password: string, now = Date.now()): boolean {
    const [expiresText, mac] = password.slice(PREFIX.length).split(".");
    const expires = Number(expiresText);
    if (!Number.isInteger(expires) || expires < now / 1000 || !mac) return false;
    const expected = Buffer.from(this.mac(tenant, expires));
    const given = Buffer.from(mac);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private mac(tenant: string, expires: number): string {
    return createHmac("sha256", this.secret).update(`${tenant}\n${expires}`).digest("base64url");
  }
}
