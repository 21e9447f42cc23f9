import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { certificateFingerprint } from "@minicloud/shared/client";

export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA256:AB:CD:… — what `mc login --fingerprint` pins. */
  fingerprint: string;
}

/**
 * The TCP listener's certificate when it binds beyond loopback: the user's (MC_TLS_CERT/MC_TLS_KEY),
 * else a self-signed one generated once and kept in the data dir, so its fingerprint stays stable.
 */
export async function loadTlsMaterial(dataDir: string, host: string, own?: { cert: string; key: string }): Promise<TlsMaterial> {
  if (own) {
    const [cert, key] = await Promise.all([readFile(own.cert, "utf8"), readFile(own.key, "utf8")]);
    return { cert, key, fingerprint: certificateFingerprint(cert) };
  }
  const dir = path.join(dataDir, "tls");
  const certPath = path.join(dir, "cert.pem");
  const keyPath = path.join(dir, "key.pem");
  try {
    const [cert, key] = await Promise.all([readFile(certPath, "utf8"), readFile(keyPath, "utf8")]);
    return { cert, key, fingerprint: certificateFingerprint(cert) };
  } catch {
    // First start: generate below.
  }
  const { generate } = await import("selfsigned");
  const altNames = [
    { type: 2 as const, value: "localhost" },
    { type: 2 as const, value: os.hostname() },
    { type: 7 as const, ip: "127.0.0.1" },
  ];
  if (/^[\d.]+$/.test(host) && host !== "0.0.0.0") altNames.push({ type: 7, ip: host });
  const pems = await generate([{ name: "commonName", value: `mcd ${os.hostname()}` }], {
    keyType: "ec",
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 5 * 365 * 86400_000),
    extensions: [{ name: "subjectAltName", altNames }],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert, { mode: 0o644 });
  return { cert: pems.cert, key: pems.private, fingerprint: certificateFingerprint(pems.cert) };
}
