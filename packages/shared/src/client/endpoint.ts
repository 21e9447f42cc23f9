/** Where the daemon is: a Unix socket path, or an http(s) base URL. */
export interface Endpoint {
  /** As given by the user: unix:///run/minicloud/mcd.sock, http://host:port or https://host:port. */
  host: string;
  apiKey?: string | undefined;
  /** Pinned certificate fingerprint (SHA256:AB:CD:…) for https hosts with a self-signed certificate. */
  fingerprint?: string | undefined;
}

export type ParsedHost = { kind: "unix"; socketPath: string } | { kind: "http" | "https"; origin: string };

/** Parses MC_HOST forms; throws with the accepted forms when the text is none of them. */
export function parseHost(host: string): ParsedHost {
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length);
    if (!socketPath.startsWith("/")) throw new Error(`invalid host ${host}: a unix host needs an absolute path`);
    return { kind: "unix", socketPath };
  }
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new Error(`invalid host ${host}: use unix:///path/to/mcd.sock, http://host:port or https://host:port`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`invalid host ${host}: use unix:///path/to/mcd.sock, http://host:port or https://host:port`);
  }
  return { kind: url.protocol === "https:" ? "https" : "http", origin: url.origin };
}

/** Normalises a fingerprint to SHA256:AB:CD:… so user input and certificates compare equal. */
export function normaliseFingerprint(text: string): string {
  const hex = text
    .replace(/^sha256:/i, "")
    .replace(/[^0-9a-f]/gi, "")
    .toUpperCase();
  return `SHA256:${hex.match(/.{2}/g)?.join(":") ?? ""}`;
}
