/** Tenant networks get /24 subnets carved from a pool, so gateways are known and DNS views can tell tenants apart. */

export interface SubnetLease {
  subnet: string;
  gateway: string;
}

function toInt(address: string): number {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

function toAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

export function parseCidr(cidr: string): { start: number; size: number } {
  const match = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  const bits = Number(match?.[2]);
  if (!match || !(bits >= 0 && bits <= 32)) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const size = 2 ** (32 - bits);
  return { start: toInt(match[1] ?? "") - (toInt(match[1] ?? "") % size), size };
}

function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.start < y.start + y.size && y.start < x.start + x.size;
}

/** Every /24 of the pool that overlaps none of `used` (IPv6 entries are ignored), in order. */
export function freeSubnets(pool: string, used: string[]): SubnetLease[] {
  const { start, size } = parseCidr(pool);
  if (size < 256) throw new Error(`the subnet pool ${pool} is smaller than a /24`);
  const ipv4Used = used.filter((cidr) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr));
  const leases: SubnetLease[] = [];
  for (let block = start; block < start + size; block += 256) {
    const subnet = `${toAddress(block)}/24`;
    if (!ipv4Used.some((cidr) => overlaps(cidr, subnet))) leases.push({ subnet, gateway: toAddress(block + 1) });
  }
  return leases;
}

/** Whether `address` lies inside `cidr`. */
export function contains(cidr: string, address: string): boolean {
  const { start, size } = parseCidr(cidr);
  const value = toInt(address);
  return value >= start && value < start + size;
}
