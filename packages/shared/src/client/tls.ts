import { X509Certificate } from "node:crypto";
import tls from "node:tls";
import { normaliseFingerprint } from "./endpoint.ts";

/** Connects once without verification to read the server certificate's fingerprint (trust on first use). */
export function fetchFingerprint(origin: string, timeoutMs = 5000): Promise<string> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: url.hostname,
      port: Number(url.port || 443),
      servername: /^[\d.]+$/.test(url.hostname) ? undefined : url.hostname,
      rejectUnauthorized: false,
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`timed out reading the certificate of ${origin}`)));
    socket.once("secureConnect", () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(normaliseFingerprint(fingerprint));
    });
    socket.once("error", reject);
  });
}

/** The fingerprint of a PEM certificate, in the form `mc login --fingerprint` takes. */
export function certificateFingerprint(pem: string | Buffer): string {
  return normaliseFingerprint(new X509Certificate(pem).fingerprint256);
}
