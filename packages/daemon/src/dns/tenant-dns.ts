import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { Serial } from "../common/keyed-mutex.ts";
import type { TenantNetwork } from "../runtime/runtime.ts";
import { type ProcessStatus, SupervisedProcess } from "../supervisor/supervised-process.ts";
import { corefile } from "./corefile.ts";
import { soaSerial } from "./soa-probe.ts";
import { type DnsRecord, serialOf, zoneFile } from "./zone-file.ts";

export interface DnsSettings {
  corednsBin: string;
  dataDir: string;
  domain: string;
  /** Host-side port on 127.0.0.1. */
  port: number;
  /** The address `<app>.<tenant>.<domain>` resolves to (the ingress). */
  ingressAddress: string;
}

/**
 * How often CoreDNS checks each zone file's SOA serial (an open and one parsed record per zone).
 * Every deploy waits for its records to be served, so this is deploy latency: 100 ms cost
 * 55-118 ms per deploy; 20 ms costs a few thousand cheap file opens a second at 50 tenants.
 */
const ZONE_RELOAD = "20ms";
const SERIAL_POLL_MS = 10;
const SERIAL_WAIT_MS = 2000;
/**
 * The daemon's own queries come from loopback, which every tenant view admits. (From the gateway
 * address they would not: Docker masquerades host traffic from a tenant subnet.)
 */
const LOOPBACK = "127.0.0.1";
const BIND_WAIT_MS = 5000;

/**
 * Tenant DNS: a supervised CoreDNS. Records change by rewriting zone files (CoreDNS notices a new
 * serial within a second); a new tenant network changes the listeners, so the Corefile is
 * rewritten and CoreDNS reloads it on SIGUSR1, in the same process.
 */
export class TenantDns {
  private readonly settings: DnsSettings;
  private readonly process: SupervisedProcess;
  private readonly dir: string;
  private readonly writes = new Serial();
  private networks = new Map<string, TenantNetwork>();
  private readonly records = new Map<string, string>();
  private corefileText = "";
  private serial = 0;
  private readonly logger: Logger;

  constructor(settings: DnsSettings, logger: Logger) {
    this.settings = settings;
    this.logger = logger;
    this.dir = path.join(settings.dataDir, "dns");
    this.process = new SupervisedProcess(
      {
        name: "coredns",
        command: settings.corednsBin,
        args: ["-conf", this.corefilePath],
        env: { PATH: process.env.PATH, HOME: this.dir },
        logFile: path.join(settings.dataDir, "logs", "coredns.log"),
        pidFile: path.join(settings.dataDir, "run", "coredns.pid"),
        // The host zone's SOA on the host listener: CoreDNS serves once that answers.
        isReady: async () => (await soaSerial(LOOPBACK, settings.port, LOOPBACK, settings.domain)) !== undefined,
        onReady: () => this.waitForGateways(),
      },
      logger,
    );
  }

  private get corefilePath(): string {
    return path.join(this.dir, "Corefile");
  }

  private zonePath(name: string): string {
    return path.join(this.dir, "zones", `${name}.zone`);
  }

  /**
   * Writes every zone with the records it should serve (`records`, per tenant) and the Corefile, then
   * starts CoreDNS, or adopts the one an earlier daemon left serving: that one sees the same
   * records (no zone is ever written empty first) and reloads the Corefile only if it changed.
   */
  async start(networks: TenantNetwork[], records: ReadonlyMap<string, DnsRecord[]>): Promise<void> {
    await mkdir(path.join(this.dir, "zones"), { recursive: true });
    await mkdir(path.join(this.settings.dataDir, "logs"), { recursive: true });
    await mkdir(path.join(this.settings.dataDir, "run"), { recursive: true });
    // Serials only grow, or a running CoreDNS keeps its old zone: continue from the files' own.
    this.serial = Math.max(Math.floor(Date.now() / 1000), (await this.highestSerial()) + 1);
    this.corefileText = await readFile(this.corefilePath, "utf8").catch(() => "");
    this.networks = new Map(networks.map((n) => [n.tenant, n]));
    const hostRecords: DnsRecord[] = [
      { name: "@", ip: this.settings.ingressAddress },
      { name: "*", ip: this.settings.ingressAddress },
    ];
    await this.writeAtomically(this.zonePath("_host"), zoneFile(this.settings.domain, this.serial, hostRecords));
    await this.writeAtomically(this.zonePath("_internal"), zoneFile("internal", this.serial, []));
    for (const network of networks) await this.writeZone(network.tenant, records.get(network.tenant) ?? []);
    const changed = await this.writeCorefile();
    if ((await this.process.start()) === "adopted" && changed) await this.signalReload();
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  /** Leaves CoreDNS serving for the next daemon. */
  detach(): void {
    this.process.detach();
  }

  release(): Promise<void> {
    return this.process.release();
  }

  status(): ProcessStatus {
    return this.process.status();
  }

  /** Serves a new tenant network: listen on its gateway and give it a view. Resolves once it answers there. */
  addNetwork(network: TenantNetwork): Promise<void> {
    return this.writes.run(async () => {
      const known = this.networks.get(network.tenant);
      if (known?.subnet === network.subnet && known.gateway === network.gateway) return;
      this.networks.set(network.tenant, network);
      if (!this.records.has(network.tenant)) await this.writeZone(network.tenant, []);
      await this.reload();
    });
  }

  removeNetwork(tenant: string): Promise<void> {
    return this.writes.run(async () => {
      if (!this.networks.delete(tenant)) return;
      this.records.delete(tenant);
      await this.reload();
    });
  }

  /** The tenant's records, `<app>` → instance IPs; resolves once CoreDNS serves them. */
  async setRecords(tenant: string, records: DnsRecord[]): Promise<void> {
    const network = this.networks.get(tenant);
    if (!network) return;
    const serial = await this.writes.run(() => this.writeZone(tenant, records));
    if (serial !== undefined && this.process.pid !== undefined) await this.waitForSerial(network, serial);
  }

  /** CoreDNS picks up a zone when it sees a new SOA serial; wait until it does. */
  private async waitForSerial(network: TenantNetwork, serial: number): Promise<void> {
    const deadline = Date.now() + SERIAL_WAIT_MS;
    while (Date.now() < deadline) {
      const served = (await soaSerial(network.gateway, 53, LOOPBACK, `${network.tenant}.internal`)) ?? 0;
      if (served >= serial) return;
      await new Promise((resolve) => setTimeout(resolve, SERIAL_POLL_MS));
    }
    this.logger.warn({ tenant: network.tenant, serial }, "CoreDNS has not loaded the new zone yet");
  }

  /** Writes the zone when its records changed; returns the new serial, or undefined when unchanged. */
  private async writeZone(tenant: string, records: DnsRecord[]): Promise<number | undefined> {
    const key = JSON.stringify([...records].sort((a, b) => a.name.localeCompare(b.name) || a.ip.localeCompare(b.ip)));
    if (this.records.get(tenant) === key) return undefined;
    // Strictly increasing, or CoreDNS keeps the old zone.
    this.serial = Math.max(this.serial + 1, Math.floor(Date.now() / 1000));
    await this.writeAtomically(this.zonePath(tenant), zoneFile(`${tenant}.internal`, this.serial, records));
    this.records.set(tenant, key);
    return this.serial;
  }

  private async writeCorefile(): Promise<boolean> {
    const networks = [...this.networks.values()];
    const text = corefile({
      gateways: networks.map((n) => n.gateway),
      tenants: networks.map((n) => ({ tenant: n.tenant, subnet: n.subnet, zoneFile: this.zonePath(n.tenant) })),
      emptyInternalZoneFile: this.zonePath("_internal"),
      host: { domain: this.settings.domain, port: this.settings.port, zoneFile: this.zonePath("_host") },
      upstream: (await hasNameservers()) ? "/etc/resolv.conf" : null,
      zoneReload: ZONE_RELOAD,
    });
    if (text === this.corefileText) return false;
    await this.writeAtomically(this.corefilePath, text);
    this.corefileText = text;
    return true;
  }

  private async reload(): Promise<void> {
    if (await this.writeCorefile()) await this.signalReload();
  }

  private async signalReload(): Promise<void> {
    const pid = this.process.pid;
    if (pid === undefined) return; // not running: the next start reads the new Corefile
    process.kill(pid, "SIGUSR1");
    await this.waitForGateways();
  }

  private async highestSerial(): Promise<number> {
    const files = await readdir(path.join(this.dir, "zones")).catch(() => []);
    const texts = await Promise.all(
      files.filter((f) => f.endsWith(".zone")).map((f) => readFile(path.join(this.dir, "zones", f), "utf8").catch(() => "")),
    );
    return Math.max(0, ...texts.map((text) => serialOf(text) ?? 0));
  }

  /** After a (re)load: every tenant's view answers on its gateway before containers are told to use it. */
  private async waitForGateways(): Promise<void> {
    const deadline = Date.now() + BIND_WAIT_MS;
    for (const network of this.networks.values()) {
      while ((await soaSerial(network.gateway, 53, LOOPBACK, `${network.tenant}.internal`)) === undefined) {
        if (Date.now() > deadline) {
          this.logger.warn({ gateway: network.gateway }, "CoreDNS does not answer on the tenant gateway yet");
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private async writeAtomically(file: string, text: string): Promise<void> {
    const temporary = `${file}.tmp`;
    await writeFile(temporary, text);
    await rename(temporary, file);
  }
}

async function hasNameservers(): Promise<boolean> {
  const text = await readFile("/etc/resolv.conf", "utf8").catch(() => "");
  return /^\s*nameserver\s+\S+/m.test(text);
}
