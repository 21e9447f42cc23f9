import type { SecretsChangeResult } from "@minicloud/shared";
import { Flags } from "@oclif/core";
import { appArg, validAppName } from "../../lib/app-args.ts";
import { BaseCommand } from "../../lib/base-command.ts";
import { checkedSecrets, describeSecretsChange, readStdin, secretPairs, stageFlag } from "../../lib/secret-args.ts";
import { UsageError } from "../../lib/usage-error.ts";

export default class SecretsSet extends BaseCommand {
  static override summary = "Set secrets of an app: sealed at rest, injected as environment variables, never shown again.";
  static override description = [
    "Each NAME=VALUE becomes an environment variable of the app's instances. The change is a new secret-set version and a new release through the normal rolling deploy (health-gated: if it fails, the running release keeps serving with its old secrets); --stage only stores it, for the next deploy.",
    "",
    "Keep values out of shell history: NAME=- reads the value from stdin, --from-file NAME=PATH from a file (both taken as they are, newlines included). Values cannot be read back, only their digests compared (`mc secrets list`).",
  ].join("\n");
  static override examples = [
    "<%= config.bin %> secrets set web API_KEY=s3cr3t",
    "<%= config.bin %> secrets set web DATABASE_URL=- < db-url.txt",
    "<%= config.bin %> secrets set web --from-file TLS_KEY=key.pem --stage",
  ];
  static override strict = false;
  static override args = { app: appArg };
  static override flags = {
    "from-file": Flags.string({ description: "NAME=PATH: the value is the file's content (repeatable)", multiple: true }),
    stage: stageFlag,
  };

  async run(): Promise<SecretsChangeResult> {
    const { args, flags, argv } = await this.parse(SecretsSet);
    const app = validAppName(args.app);
    const pairs = (argv as string[]).slice(1);
    if (pairs.length === 0 && !flags["from-file"]) {
      throw new UsageError(`give at least one NAME=VALUE, e.g. \`mc secrets set ${app} API_KEY=-\` (value from stdin)`);
    }
    const set = await checkedSecrets(await secretPairs(pairs, flags["from-file"] ?? [], () => readStdin("NAME=-")));
    const result = await (await this.client()).secrets.change(app, { set, stage: flags.stage || undefined });
    this.say(describeSecretsChange(result, flags.stage));
    return result;
  }
}
