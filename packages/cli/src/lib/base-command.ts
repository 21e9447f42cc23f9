import type { ClientOptions, MinicloudClient } from "@minicloud/shared/client";
import { Command, Flags, type Interfaces } from "@oclif/core";
import { resolveEndpoint } from "./credentials.ts";
import { chalk } from "./output.ts";

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)["baseFlags"] & T["flags"]>;

/**
 * What every command shares: `--json`, `--tenant`, the client built from MC_HOST/MC_API_KEY, the
 * config file or the local socket, and errors mapped to a message and an exit code (2: bad input).
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    tenant: Flags.string({
      description: "tenant to act on (admin keys only; default: the `default` tenant)",
      env: "MC_TENANT",
      helpGroup: "GLOBAL",
    }),
  };

  private clientInstance: MinicloudClient | undefined;

  /** The API client; created on first use so commands that need no daemon never build one. */
  protected async client(): Promise<MinicloudClient> {
    if (!this.clientInstance) {
      const { flags } = await this.parse(this.ctor);
      const endpoint = await resolveEndpoint();
      const options: ClientOptions = { ...endpoint, tenant: (flags as { tenant?: string }).tenant };
      // Loaded on first use: undici is a large share of start-up time, and `mc version` never needs it.
      const { MinicloudClient } = await import("@minicloud/shared/client");
      this.clientInstance = new MinicloudClient(options);
    }
    return this.clientInstance;
  }

  /** Human output only; --json prints the returned value instead. */
  protected say(text: string): void {
    if (!this.jsonEnabled()) this.log(text);
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<never> {
    // this.exit() and oclif's own exits (help, version) pass through untouched.
    if ((error as { code?: string }).code === "EEXIT") throw error;
    const { classify } = await import("./errors.ts");
    const { code, message, exit } = classify(await this.withFlagSuggestion(error));
    if (this.jsonEnabled()) process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
    else process.stderr.write(`${chalk.red("Error:")} ${message}\n`);
    this.exit(exit);
  }

  /** "Nonexistent flag: --env-fil" becomes "unknown flag --env-fil — did you mean --env-file?". */
  private async withFlagSuggestion(error: Error): Promise<Error> {
    const unknown = (error as { flags?: unknown }).flags;
    if (!Array.isArray(unknown) || !error.message.startsWith("Nonexistent flag")) return error;
    const { suggest } = await import("./suggest.ts");
    const known = [...Object.keys({ ...this.ctor.flags, ...this.ctor.baseFlags }), "json", "help"].map((name) => `--${name}`);
    const parts = (unknown as string[]).map((flag) => {
      const match = suggest(flag.split("=")[0] ?? flag, known);
      return `unknown flag ${flag}${match ? ` — did you mean ${match}?` : ""}`;
    });
    const { UsageError } = await import("./usage-error.ts");
    return new UsageError(`${parts.join("; ")} (\`${this.config.bin} ${this.id?.replaceAll(":", " ")} --help\` lists them)`);
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    await this.clientInstance?.close().catch(() => undefined);
    return super.finally(error);
  }
}
