import { execFile } from "node:child_process";
import { runHostCommand as run } from "../common/host-command.ts";
import { countJumps, jumpRule, restoreScript } from "./rules.ts";

/**
 * The iptables the engine uses: the first of `iptables` and `iptables-legacy` that shows Docker's
 * DOCKER-USER chain (nft and legacy tables are separate; rules in the other one would never match).
 * Undefined when none does: no iptables, no permission (not root), or an engine that manages none.
 */
export async function findEngineIptables(): Promise<string | undefined> {
  for (const bin of ["iptables", "iptables-legacy"]) {
    const found = await new Promise<boolean>((resolve) => execFile(bin, ["-w", "-n", "-L", "DOCKER-USER"], (error) => resolve(!error)));
    if (found) return bin;
  }
  return undefined;
}

/** The only code that runs iptables. `-w` everywhere: the engine and other daemons edit the same tables. */
export class Iptables {
  readonly bin: string;

  constructor(bin: string) {
    this.bin = bin;
  }

  /** Makes `chain` hold exactly `rules` (one atomic commit), then makes sure INPUT jumps to it exactly once. */
  async apply(chain: string, rules: string[][]): Promise<void> {
    await run(`${this.bin}-restore`, ["-w", "--noflush"], restoreScript(chain, rules));
    const jumps = await this.jumps(chain);
    // First in INPUT: an earlier ACCEPT of the host's own must not let tenant traffic past.
    if (jumps === 0) await run(this.bin, ["-w", "-I", ...jumpRule(chain)]);
    for (let extra = jumps; extra > 1; extra--) await run(this.bin, ["-w", "-D", ...jumpRule(chain)]);
  }

  /** Removes the jumps and the chain; nothing to remove is no error. */
  async remove(chain: string): Promise<void> {
    for (let jumps = await this.jumps(chain); jumps > 0; jumps--) await run(this.bin, ["-w", "-D", ...jumpRule(chain)]);
    if (!(await this.hasChain(chain))) return;
    await run(this.bin, ["-w", "-F", chain]);
    await run(this.bin, ["-w", "-X", chain]);
  }

  async jumps(chain: string): Promise<number> {
    return countJumps(await run(this.bin, ["-w", "-S", "INPUT"]), chain);
  }

  private hasChain(chain: string): Promise<boolean> {
    return run(this.bin, ["-w", "-n", "-L", chain]).then(
      () => true,
      () => false,
    );
  }
}
