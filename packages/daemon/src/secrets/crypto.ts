import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";

/**
 * AES-256-GCM with a random 96-bit nonce per message (keys here seal far fewer than the 2^32
 * messages that bound random nonces). The associated data binds a ciphertext to where it belongs:
 * copied anywhere else, it does not open. Pure, so it is unit-tested.
 */
const FORMAT = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** A ciphertext did not open: changed, or sealed under another key or for another place. */
export class OpenError extends Error {
  constructor() {
    super("the ciphertext does not open under this key for this place");
    this.name = "OpenError";
  }
}

/** Associated data from its parts; NUL cannot occur in names, so parts cannot run into each other. */
export function associatedData(parts: readonly string[]): Buffer {
  return Buffer.from(parts.join("\0"), "utf8");
}

/** `v1.<nonce>.<ciphertext+tag>`, base64url. */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${FORMAT}.${iv.toString("base64url")}.${body.toString("base64url")}`;
}

export function open(key: Buffer, sealed: string, aad: Buffer): Buffer {
  const [format, ivText, bodyText, extra] = sealed.split(".");
  if (format !== FORMAT || ivText === undefined || bodyText === undefined || extra !== undefined) throw new OpenError();
  const iv = Buffer.from(ivText, "base64url");
  const body = Buffer.from(bodyText, "base64url");
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new OpenError();
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new OpenError();
  }
}

/** A key for one purpose, derived from a tenant's data key (HKDF-SHA256). */
export function deriveKey(key: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), `minicloud ${purpose}`, KEY_BYTES));
}

/** Keyed digest, shortened for display: without the key, short values cannot be guessed offline. */
export function digest(key: Buffer, value: string): string {
  return createHmac("sha256", key).update(value, "utf8").digest("hex").slice(0, 16);
}

/** A short, public name for a master key: which key wrapped a tenant key, without revealing it. */
export function keyId(key: Buffer): string {
  return createHash("sha256").update("minicloud master key id\0").update(key).digest("hex").slice(0, 12);
}

export function newKey(): Buffer {
  return randomBytes(KEY_BYTES);
}
