import { X509Certificate } from "node:crypto";
import tls, { type TLSSocket } from "node:tls";
import { CertificateMismatchError } from "../connection-errors.ts";
import { normaliseFingerprint } from "./endpoint.ts";

/** Connects once without verification to read the server certificate's fingerprint (trust on first use). */
export async function fetchFingerprint(origin: string, timeoutMs = 5000): Promise<string> {
  const socket = await connectUnverified(origin, timeoutMs);
  const fingerprint = peerFingerprint(socket);
  socket.end();
  return fingerprint;
}

/**
 * A TLS connection whose certificate matched the pinned fingerprint, for clients that take a ready
 * socket (the exec WebSocket): nothing is sent before the check, so a key never reaches an impostor.
 */
export async function connectPinned(origin: string, fingerprint: string, timeoutMs = 5000): Promise<TLSSocket> {
  const socket = await connectUnverified(origin, timeoutMs);
  const expected = normaliseFingerprint(fingerprint);
  const actual = peerFingerprint(socket);
  if (actual !== expected) {
    socket.destroy();
    throw new CertificateMismatchError(expected, actual);
  }
  socket.setTimeout(0);
  return socket;
}

function connectUnverified(origin: string, timeoutMs: number): Promise<TLSSocket> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: url.hostname,
      port: Number(url.port || 443),
      servername: /^[\d.]+$/.test(url.hostname) ? undefined : url.hostname,
      rejectUnauthorized: false,
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`timed out reading the certificate of ${origin}`)));
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", reject);
  });
}

function peerFingerprint(socket: TLSSocket): string {
  return normaliseFingerprint(socket.getPeerCertificate().fingerprint256 ?? "");
}

/** The fingerprint of a PEM certificate, in the form `mc login --fingerprint` takes. */
export function certificateFingerprint(pem: string | Buffer): string {
  return normaliseFingerprint(new X509Certificate(pem).fingerprint256);
}
