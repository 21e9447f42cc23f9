import type { RegistryCredential } from "@minicloud/shared";
import { checkRegistryHost } from "@minicloud/shared/image-rules";
import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { chalk } from "../../lib/output.ts";
import { readStdin } from "../../lib/secret-args.ts";
import { UsageError } from "../../lib/usage-error.ts";

export default class RegistryLogin extends BaseCommand {
  static override summary = "Store your tenant's login to an image registry (checked against it first, sealed, never shown).";
  static override description =
    "Deploys of images from HOST pull with this login, and access to a private image is checked with it each time your tenant first runs it — another tenant's pull grants nothing. The password comes from stdin only (never an argument: it would stay in shell history).";
  static override examples = [
    'echo "$TOKEN" | <%= config.bin %> registry login registry.example.com --username ci --password-stdin',
    "<%= config.bin %> registry login 127.0.0.1:5000 -u me --password-stdin < password.txt",
  ];
  static override args = { host: Args.string({ description: "registry host[:port], e.g. registry.example.com", required: true }) };
  static override flags = {
    username: Flags.string({ char: "u", description: "user name at the registry", required: true }),
    "password-stdin": Flags.boolean({ description: "read the password (or token) from stdin", required: true }),
  };

  async run(): Promise<RegistryCredential> {
    const { args, flags } = await this.parse(RegistryLogin);
    const problem = checkRegistryHost(args.host);
    if (problem) throw new UsageError(`${args.host}: ${problem}`);
    // One trailing newline is the pipe's, not the password's.
    const password = (await readStdin("--password-stdin")).replace(/\r?\n$/, "");
    if (!password) throw new UsageError("--password-stdin: stdin was empty");
    const credential = await (await this.client()).registry.login(args.host, { username: flags.username, password });
    this.say(
      `${chalk.green("✔")} logged in to ${credential.host} as ${credential.username} (stored sealed; \`mc registry logout ${credential.host}\` removes it)`,
    );
    return credential;
  }
}
