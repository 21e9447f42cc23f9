import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { Serial } from "../common/keyed-mutex.ts";
import type { TenantNetwork } from "../runtime/runtime.ts";
import { findEngineIptables, Iptables } from "./iptables.ts";
import { chainName, fenceRules } from "./rules.ts";

export type HostFirewallMode = "auto" | "on" | "off";

export interface HostFirewallSettings {
  mode: HostFirewallMode;
  prefix: string;
  dataDir: string;
  /** The ingress ports: tenants may call apps' public URLs through the host, as anyone can. */
  allowedTcpPorts: number[];
}

/** What the daemon installed, so `mc daemon stop --all` (another process) can remove it. */
interface Installed {
  iptables: string;
  chain: string;
}

function recordFile(dataDir: string): string {
  return path.join(dataDir, "run", "firewall.json");
}

/**
 * Fences tenant networks off the host: only their DNS (and the ingress) is reachable there. The
 * rules outlive the daemon on purpose — tenant containers keep running across a stop — and are
 * rebuilt at each start; they go with the daemon's last tenant network or `mc daemon stop --all`.
 */
export class HostFirewall {
  private readonly settings: HostFirewallSettings;
  private readonly logger: Logger;
  private readonly chain: string;
  private readonly writes = new Serial();
  private iptables: Iptables | undefined;
  private networks = new Map<string, TenantNetwork>();

  constructor(settings: HostFirewallSettings, logger: Logger) {
    this.settings = settings;
    this.logger = logger;
    this.chain = chainName(settings.prefix);
  }

  /** Whether the rules are kept (off: the setting, or no iptables for the engine in auto mode). */
  get active(): boolean {
    return this.iptables !== undefined;
  }

  /** Finds the engine's iptables and installs the rules for `networks`, before any app starts. */
  async start(networks: TenantNetwork[]): Promise<void> {
    if (this.settings.mode === "off") {
      // Turned off: what an earlier start of this daemon installed goes too.
      await removeHostFirewall(this.settings.dataDir);
      return;
    }
    const bin = await findEngineIptables();
    if (!bin) {
      const why = "no iptables on this host shows the engine's DOCKER-USER chain (missing, not root, or the engine manages none)";
      if (this.settings.mode === "on") throw new Error(`MC_HOST_FIREWALL is on but ${why}`);
      this.logger.warn(`${why}: tenant containers can reach services on the host (set MC_HOST_FIREWALL=off to silence this)`);
      return;
    }
    this.iptables = new Iptables(bin);
    this.networks = new Map(networks.map((n) => [n.tenant, n]));
    await this.writes.run(() => this.apply());
  }

  /** A new tenant network is fenced before any container is created on it. */
  addNetwork(network: TenantNetwork): Promise<void> {
    if (!this.iptables) return Promise.resolve();
    const known = this.networks.get(network.tenant);
    if (known?.bridge === network.bridge && known.gateway === network.gateway) return Promise.resolve();
    return this.writes.run(async () => {
      this.networks.set(network.tenant, network);
      await this.apply();
    });
  }

  removeNetwork(tenant: string): Promise<void> {
    if (!this.iptables || !this.networks.has(tenant)) return Promise.resolve();
    return this.writes.run(async () => {
      this.networks.delete(tenant);
      await this.apply();
    });
  }

  private async apply(): Promise<void> {
    const iptables = this.iptables;
    if (!iptables) return;
    const rules = fenceRules({ chain: this.chain, networks: [...this.networks.values()], allowedTcpPorts: this.settings.allowedTcpPorts });
    if (rules.length === 0) {
      await removeHostFirewall(this.settings.dataDir, { iptables: iptables.bin, chain: this.chain });
      return;
    }
    // Recorded first: a crash half-way still leaves `stop --all` something to remove.
    const file = recordFile(this.settings.dataDir);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify({ iptables: iptables.bin, chain: this.chain } satisfies Installed)}\n`);
    await iptables.apply(this.chain, rules);
  }
}

/**
 * Removes the chain and jump a daemon with this data dir installed (`mc daemon stop --all`, or the
 * setting turned off). Returns the chain removed, if any.
 */
export async function removeHostFirewall(dataDir: string, known?: Installed): Promise<string | undefined> {
  const file = recordFile(dataDir);
  const record = known ?? (await readRecord(file));
  if (!record) return undefined;
  await new Iptables(record.iptables).remove(record.chain);
  await rm(file, { force: true });
  return record.chain;
}

async function readRecord(file: string): Promise<Installed | undefined> {
  try {
    const value = JSON.parse(await readFile(file, "utf8")) as Partial<Installed>;
    // Only what this daemon writes: an iptables program and one of its chain names.
    if (!["iptables", "iptables-legacy"].includes(value.iptables ?? "") || !/^MC-[a-z][a-z0-9-]{0,15}-INPUT$/.test(value.chain ?? "")) {
      return undefined;
    }
    return { iptables: value.iptables ?? "", chain: value.chain ?? "" };
  } catch {
    return undefined;
  }
}
