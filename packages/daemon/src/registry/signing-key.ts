import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export interface SigningKey {
  key: KeyObject;
  /** The certificate's DER in base64: the `x5c` header of every token, checked against `certFile`. */
  certificate: string;
  /** The registry's `rootcertbundle`. */
  certFile: string;
}

/**
 * The key mcd signs registry tokens with (EC P-256, ES256) and a self-signed certificate of it, made
 * at first start and kept in `<data dir>/registry/` (the key 0600). node:crypto makes keys but no
 * X.509 certificates; `selfsigned` already makes the TCP listener's, so it makes this one too.
 */
export async function loadSigningKey(dataDir: string): Promise<SigningKey> {
  const dir = path.join(dataDir, "registry");
  const keyFile = path.join(dir, "token.key");
  const certFile = path.join(dir, "token.crt");
  let pems = await Promise.all([readFile(keyFile, "utf8"), readFile(certFile, "utf8")]).catch(() => undefined);
  if (!pems) {
    const { generate } = await import("selfsigned");
    const made = await generate([{ name: "commonName", value: "minicloud registry token issuer" }], {
      keyType: "ec",
      algorithm: "sha256",
      notAfterDate: new Date(Date.now() + 10 * 365 * 86400_000),
    });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(keyFile, made.private, { mode: 0o600 });
    await chmod(keyFile, 0o600);
    await writeFile(certFile, made.cert, { mode: 0o644 });
    pems = [made.private, made.cert];
  }
  const [keyPem, certPem] = pems;
  return { key: createPrivateKey(keyPem), certificate: new X509Certificate(certPem).raw.toString("base64"), certFile };
}
