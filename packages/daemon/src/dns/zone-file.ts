export interface DnsRecord {
  /** Label(s) below the zone origin ("web"). */
  name: string;
  ip: string;
}

/** Short TTLs: an instance that moves must not stay cached for long. */
const RECORD_TTL = 5;

/**
 * An RFC 1035 zone file. The SOA makes CoreDNS answer NXDOMAIN for names that do not exist, and its
 * serial is how CoreDNS' `file` plugin notices a change.
 */
export function zoneFile(origin: string, serial: number, records: DnsRecord[]): string {
  const lines = [
    `$ORIGIN ${origin}.`,
    `@ ${RECORD_TTL} IN SOA ns.${origin}. hostmaster.${origin}. ${serial} 60 60 3600 ${RECORD_TTL}`,
    `@ ${RECORD_TTL} IN NS ns.${origin}.`,
  ];
  const sorted = [...records].sort((a, b) => a.name.localeCompare(b.name) || a.ip.localeCompare(b.ip));
  for (const record of sorted) lines.push(`${record.name} ${RECORD_TTL} IN A ${record.ip}`);
  return `${lines.join("\n")}\n`;
}

/** The SOA serial of a zone file written by zoneFile(). */
export function serialOf(text: string): number | undefined {
  const match = / IN SOA \S+ \S+ (\d+) /.exec(text);
  return match ? Number(match[1]) : undefined;
}
