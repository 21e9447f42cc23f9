import { readFile, writeFile } from "node:fs/promises";

const BEGIN = "# minicloud begin — managed by mcd (MC_HOSTS_FILE); edits here are replaced";
const END = "# minicloud end";

/**
 * The hosts file with our block replaced by one line per host (or removed when there are none);
 * everything outside the block is kept byte for byte. Pure, so it is unit-tested.
 */
export function withManagedBlock(text: string, address: string, hosts: string[]): string {
  const start = text.indexOf(BEGIN);
  const end = start === -1 ? -1 : text.indexOf(END, start);
  const outside = start === -1 || end === -1 ? text : text.slice(0, start) + text.slice(end + END.length).replace(/^\n/, "");
  if (hosts.length === 0) return outside;
  const block = [BEGIN, ...[...hosts].sort().map((host) => `${address} ${host}`), END].join("\n");
  return `${outside}${outside === "" || outside.endsWith("\n") ? "" : "\n"}${block}\n`;
}

/**
 * Keeps `/etc/hosts` (or another file) listing every routed host, for machines whose resolver
 * does not forward the domain to CoreDNS. Written in place: /etc/hosts is often a bind mount.
 */
export class HostsFile {
  private readonly path: string;
  private readonly address: string;
  private last: string | undefined;

  constructor(path: string, address: string) {
    this.path = path;
    this.address = address;
  }

  async set(hosts: string[]): Promise<void> {
    const key = [...hosts].sort().join(" ");
    if (key === this.last) return;
    const current = await readFile(this.path, "utf8").catch(() => "");
    const next = withManagedBlock(current, this.address, hosts);
    if (next !== current) await writeFile(this.path, next);
    this.last = key;
  }
}
