import { BlockList, isIP } from "node:net";

/** What a webhook may not reach: the daemon and the services of its host. */
export interface TargetRules {
  /** MC_WEBHOOK_ALLOW_PRIVATE: private and loopback addresses are allowed (tests, trusted networks). */
  allowPrivate: boolean;
  /** The daemon's own ports (its API, the ingress, DNS, the registry): never a target on a host address. */
  ownPorts: number[];
}

/** Never a target: "this host" addresses, link-local (cloud metadata), multicast, broadcast. */
const ALWAYS = new BlockList();
ALWAYS.addSubnet("0.0.0.0", 8, "ipv4");
ALWAYS.addSubnet("169.254.0.0", 16, "ipv4");
ALWAYS.addSubnet("224.0.0.0", 4, "ipv4");
ALWAYS.addSubnet("240.0.0.0", 4, "ipv4");
ALWAYS.addAddress("::", "ipv6");
ALWAYS.addSubnet("fe80::", 10, "ipv6");
ALWAYS.addSubnet("ff00::", 8, "ipv6");

/** Loopback: the daemon's host itself. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Private networks (the Docker bridges and their gateways, tenant networks among them), shared address space, ULAs. */
const PRIVATE = new BlockList();
PRIVATE.addSubnet("10.0.0.0", 8, "ipv4");
PRIVATE.addSubnet("172.16.0.0", 12, "ipv4");
PRIVATE.addSubnet("192.168.0.0", 16, "ipv4");
PRIVATE.addSubnet("100.64.0.0", 10, "ipv4");
PRIVATE.addSubnet("fc00::", 7, "ipv6");

/**
 * Why a webhook may not be delivered to `address:port`, or undefined when it may. Loopback, private
 * and link-local addresses reach the daemon, Caddy, CoreDNS, the registry, the engine's gateways
 * and tenants' containers: refused unless the operator allows private targets — and even then
 * never the daemon's own ports on the host, and never link-local.
 */
export function refusalOf(address: string, port: number, rules: TargetRules): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const family = isIP(ip) === 6 ? "ipv6" : "ipv4";
  if (isIP(ip) === 0) return `${address} is not an IP address`;
  if (ALWAYS.check(ip, family)) return `${address} is a link-local, unspecified or multicast address (never a webhook target)`;
  const loopback = LOOPBACK.check(ip, family);
  const isPrivate = PRIVATE.check(ip, family);
  if (!rules.allowPrivate && (loopback || isPrivate)) {
    return `${address} is a ${loopback ? "loopback" : "private"} address: webhooks go to public receivers (an operator may allow private ones with MC_WEBHOOK_ALLOW_PRIVATE)`;
  }
  if ((loopback || isPrivate) && rules.ownPorts.includes(port)) {
    return `${address}:${port} is one of the daemon's own ports (its API, ingress, DNS or registry)`;
  }
  return undefined;
}

/** The port a URL connects to. */
export function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}
