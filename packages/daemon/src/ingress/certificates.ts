import type { CertificateIssuer } from "@minicloud/shared";

/**
 * Zones no public CA issues certificates for: special-use names (RFC 6761, 6762, 8375, 9476),
 * IANA's example domains, and private top-level names in common use.
 */
const PRIVATE_ZONES = [
  "localhost",
  "local",
  "test",
  "example",
  "invalid",
  "internal",
  "alt",
  "onion",
  "home.arpa",
  "lan",
  "home",
  "corp",
  "intranet",
  "private",
  "example.com",
  "example.net",
  "example.org",
];

/** Whether a host name could get a certificate from a public CA (it must also resolve to this host). */
export function isPublicHostname(host: string): boolean {
  return !PRIVATE_ZONES.some((zone) => host === zone || host.endsWith(`.${zone}`));
}

/** Who signs a custom host's certificate: ACME for a public name when it is configured, else the ingress CA. */
export function certificateIssuer(host: string, acme: boolean): CertificateIssuer {
  return acme && isPublicHostname(host) ? "acme" : "internal";
}
