import { fetchFingerprint, MinicloudClient, normaliseFingerprint, parseHost } from "@minicloud/shared/client";
import { Flags } from "@oclif/core";
import { BaseCommand } from "../lib/base-command.ts";
import { writeStored } from "../lib/credentials.ts";
import { canPrompt } from "../lib/interaction.ts";
import { chalk } from "../lib/output.ts";
import { UsageError } from "../lib/usage-error.ts";

export default class Login extends BaseCommand {
  static override summary = "Verify a host and API key, then store them for later commands.";
  static override description =
    "For https hosts with a self-signed certificate, its SHA-256 fingerprint is pinned on first use: shown and confirmed on a TTY, or given with --fingerprint in scripts. A changed certificate is refused afterwards.";
  static override examples = [
    "<%= config.bin %> login --host http://127.0.0.1:7070 --api-key mck_…",
    "<%= config.bin %> login --host https://cloud.example.com:7070 --api-key mck_… --fingerprint SHA256:AB:CD:…",
  ];
  static override flags = {
    host: Flags.string({
      description: "daemon URL: https://host:port, http://127.0.0.1:port or unix:///path/mcd.sock",
      default: "http://127.0.0.1:7070",
    }),
    "api-key": Flags.string({ description: "API key (prompted for on a TTY when missing)" }),
    fingerprint: Flags.string({ description: "expected certificate fingerprint (SHA256:…) for https hosts" }),
    yes: Flags.boolean({ char: "y", description: "never prompt" }),
  };

  async run() {
    const { flags } = await this.parse(Login);
    try {
      parseHost(flags.host);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const interactive = canPrompt(flags.yes);
    let apiKey = flags["api-key"];
    if (!apiKey && !flags.host.startsWith("unix://")) {
      if (!interactive) throw new UsageError("--api-key is required when no terminal can prompt for it");
      const { password } = await import("@inquirer/prompts");
      apiKey = await password({ message: "API key:", mask: "*" });
    }
    const fingerprint = flags.host.startsWith("https://")
      ? await this.pinFingerprint(flags.host, flags.fingerprint, interactive)
      : undefined;
    const client = new MinicloudClient({ host: flags.host, apiKey, fingerprint });
    try {
      const me = await client.whoami();
      const file = await writeStored({ host: flags.host, apiKey, fingerprint });
      this.say(`${chalk.green("✔")} logged in to ${flags.host} as ${me.role} in tenant ${me.tenant}; saved to ${file}`);
      return { host: flags.host, role: me.role, tenant: me.tenant, keyId: me.keyId, fingerprint: fingerprint ?? null };
    } finally {
      await client.close();
    }
  }

  private async pinFingerprint(host: string, expected: string | undefined, interactive: boolean): Promise<string> {
    const actual = await fetchFingerprint(host);
    if (expected) {
      if (normaliseFingerprint(expected) !== actual) {
        throw new Error(
          `the certificate of ${host} has fingerprint ${actual}, not the expected ${normaliseFingerprint(expected)} — refusing to log in`,
        );
      }
      return actual;
    }
    if (!interactive)
      throw new UsageError(`${host} uses TLS: pass --fingerprint ${actual} after checking it on the host (mc daemon status there)`);
    const { confirm } = await import("@inquirer/prompts");
    const trusted = await confirm({ message: `The certificate of ${host} has fingerprint\n  ${actual}\nTrust it?`, default: false });
    if (!trusted) throw new Error("certificate not trusted; nothing saved");
    return actual;
  }
}
