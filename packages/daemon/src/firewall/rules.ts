/**
 * What a tenant network may reach on the host itself. Traffic from a container to any host address
 * (its gateway, docker0's, the host's public one) crosses INPUT, never FORWARD/DOCKER-USER, so the
 * daemon's own chain is jumped to from INPUT. Rules match each tenant network's bridge interface,
 * not a source range: daemons sharing a subnet pool on one engine never judge each other's tenants,
 * a rule left behind never catches a later network that reuses the subnet (bridge names are not
 * reused), and a container that forges its source address is still fenced.
 */

export interface FencedNetwork {
  /** The host's interface for the tenant network (`br-<id>`). */
  bridge: string;
  gateway: string;
}

export interface FenceInput {
  chain: string;
  networks: FencedNetwork[];
  /** Host ports a tenant may call: the ingress, which serves the same to the whole internet. */
  allowedTcpPorts: number[];
}

/** `MC-<prefix>-INPUT` (at most 25 characters: iptables allows 28). */
export function chainName(prefix: string): string {
  return `MC-${prefix}-INPUT`;
}

/**
 * The chain's rules, as `iptables -A` arguments. Allowed traffic RETURNs to INPUT rather than being
 * accepted, so the host's own firewall still applies to it; the rest is rejected with port
 * unreachable, which a client sees at once as "connection refused".
 */
export function fenceRules(input: FenceInput): string[][] {
  const { chain } = input;
  if (input.networks.length === 0) return [];
  const ports = [...new Set(input.allowedTcpPorts.filter((p) => p > 0))].sort((a, b) => a - b);
  const rules: string[][] = [["-A", chain, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "RETURN"]];
  for (const { bridge, gateway } of [...input.networks].sort((a, b) => a.bridge.localeCompare(b.bridge))) {
    // The tenant's resolver: CoreDNS on its own gateway (Docker's embedded DNS forwards there).
    for (const protocol of ["udp", "tcp"]) {
      rules.push(["-A", chain, "-i", bridge, "-d", `${gateway}/32`, "-p", protocol, "-m", protocol, "--dport", "53", "-j", "RETURN"]);
    }
    if (ports.length > 0)
      rules.push(["-A", chain, "-i", bridge, "-p", "tcp", "-m", "multiport", "--dports", ports.join(","), "-j", "RETURN"]);
    rules.push(["-A", chain, "-i", bridge, "-j", "REJECT", "--reject-with", "icmp-port-unreachable"]);
  }
  return rules;
}

/** An `iptables-restore --noflush` script that makes the chain hold exactly `rules` in one commit. */
export function restoreScript(chain: string, rules: string[][]): string {
  return ["*filter", `:${chain} - [0:0]`, ...rules.map((rule) => rule.join(" ")), "COMMIT", ""].join("\n");
}

/** The jump from INPUT to the chain, as `iptables` arguments after the command (`-C`, `-I`, `-D`). */
export function jumpRule(chain: string): string[] {
  return ["INPUT", "-j", chain];
}

/** How many jumps to `chain` an `iptables -S INPUT` listing holds. */
export function countJumps(listing: string, chain: string): number {
  return listing.split("\n").filter((line) => line.trim() === `-A INPUT -j ${chain}`).length;
}
