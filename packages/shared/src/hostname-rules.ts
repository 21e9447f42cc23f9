/**
 * Custom domains: the rules for a host name a tenant brings to the ingress. Without zod, so the CLI
 * checks a name before any request (exit 2) at no start-up cost; the daemon checks it again.
 */

export const MAX_HOSTNAME_LENGTH = 253;
const LABEL_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4_PATTERN = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The form host names are stored and compared in: lowercase, without a fully qualified name's trailing dot. */
export function normalizeHostname(raw: string): string {
  const lower = raw.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** Why a normalised host name cannot be a custom domain, or undefined when it can. */
export function checkHostname(host: string): string | undefined {
  if (host === "") return "is required, such as shop.example.com";
  if (host.includes("*")) return "wildcards are not supported: add each host name on its own";
  if (IPV4_PATTERN.test(host) || (host.includes(":") && /^\[?[0-9a-f:.]+\]?$/.test(host))) {
    return "is an IP address; a custom domain is a host name such as shop.example.com";
  }
  if (host.length > MAX_HOSTNAME_LENGTH) return `must be at most ${MAX_HOSTNAME_LENGTH} characters (this one has ${host.length})`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point
  if (/[^\x00-\x7f]/.test(host)) return "must be ASCII: write an international name in its xn-- (punycode) form";
  const labels = host.split(".");
  if (labels.length < 2) return "must have at least two labels, such as example.com";
  for (const label of labels) {
    if (label === "") return "must not contain an empty label ('..' or a leading '.')";
    if (label.length > 63) return `labels must be at most 63 characters ("${label.slice(0, 16)}…" has ${label.length})`;
    if (!LABEL_PATTERN.test(label)) return `"${label}" is not a DNS label: letters, digits and '-' only, not starting or ending with '-'`;
  }
  if (/^\d+$/.test(labels.at(-1) ?? "")) return "must not end in an all-digit label (it reads as an IP address)";
  return undefined;
}
