import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Keys look like `mck_<id>_<secret>`: recognisable in logs and scanners, the id alone is safe to show. */
const KEY_PATTERN = /^mck_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedKey {
  id: string;
  key: string;
  hash: string;
}

export function generateKey(): GeneratedKey {
  const id = randomBytes(6)
    .toString("base64url")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "0")
    .slice(0, 8);
  const key = `mck_${id}_${randomBytes(32).toString("base64url")}`;
  return { id, key, hash: hashKey(key) };
}

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** The key of an `Authorization: Bearer <key>` header, if that is what it holds. */
export function bearerKey(header: string | undefined): string | undefined {
  return /^Bearer (\S+)$/.exec(header ?? "")?.[1];
}

/** The id of the key a request presented (for the audit log of a refused one), or null. */
export function presentedKeyId(header: string | undefined): string | null {
  const key = bearerKey(header);
  return key ? (keyId(key) ?? null) : null;
}

/** The id part of a well-formed key, or undefined for anything else. */
export function keyId(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

export function keyMatches(key: string, storedHash: string): boolean {
  const a = Buffer.from(hashKey(key), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
