export interface TenantView {
  tenant: string;
  subnet: string;
  zoneFile: string;
}

export interface CorefileInput {
  /** Gateways of the tenant networks: containers' embedded DNS forwards there, on port 53. */
  gateways: string[];
  tenants: TenantView[];
  /** Answers every `*.internal` name no tenant view claimed: NXDOMAIN. */
  emptyInternalZoneFile: string;
  /** Host-side zone for `<app>.<tenant>.<domain>` → the ingress address, on 127.0.0.1:hostPort. */
  host: { domain: string; port: number; zoneFile: string };
  /** Upstream resolvers for every other name, when the host has any. */
  upstream: string | null;
  /** How often zone files are checked for a new serial. */
  zoneReload: string;
}

/**
 * One Corefile for the whole host. Each tenant's zone is visible only to queries from that tenant's
 * subnet (the `view` plugin; Docker's embedded DNS forwards from the container's own address), so a
 * name of another tenant gets NXDOMAIN like one that does not exist.
 */
export function corefile(input: CorefileInput): string {
  const blocks: string[] = [];
  const tenantSide = input.gateways.length > 0;
  if (tenantSide) {
    const bind = `  bind ${[...input.gateways].sort().join(" ")}`;
    for (const view of [...input.tenants].sort((a, b) => a.tenant.localeCompare(b.tenant))) {
      blocks.push(
        [
          `${view.tenant}.internal:53 {`,
          bind,
          `  view ${view.tenant} {`,
          // The host itself (loopback) may look too: the daemon checks what CoreDNS serves.
          `    expr incidr(client_ip(), '${view.subnet}') || client_ip() == '127.0.0.1'`,
          "  }",
          `  file ${view.zoneFile} ${view.tenant}.internal {`,
          `    reload ${input.zoneReload}`,
          "  }",
          "  errors",
          "}",
        ].join("\n"),
      );
    }
    blocks.push(["internal:53 {", bind, `  file ${input.emptyInternalZoneFile} internal`, "  errors", "}"].join("\n"));
    if (input.upstream) blocks.push([".:53 {", bind, `  forward . ${input.upstream}`, "  errors", "}"].join("\n"));
  }
  const { domain, port, zoneFile } = input.host;
  // The host sees every tenant's zone (it is trusted): the ingress resolves app instances here.
  for (const view of [...input.tenants].sort((a, b) => a.tenant.localeCompare(b.tenant))) {
    const lines = [`${view.tenant}.internal:${port} {`, "  bind 127.0.0.1", `  file ${view.zoneFile} ${view.tenant}.internal {`];
    blocks.push([...lines, `    reload ${input.zoneReload}`, "  }", "  errors", "}"].join("\n"));
  }
  blocks.push([`${domain}:${port} {`, "  bind 127.0.0.1", `  file ${zoneFile} ${domain}`, "  errors", "}"].join("\n"));
  return `${blocks.join("\n\n")}\n`;
}
