import type { SecretsChangeResult } from "@minicloud/shared";
import { appArg, validAppName } from "../../lib/app-args.ts";
import { BaseCommand } from "../../lib/base-command.ts";
import { checkedSecrets, describeSecretsChange, readStdin, stageFlag } from "../../lib/secret-args.ts";
import { UsageError } from "../../lib/usage-error.ts";

export default class SecretsImport extends BaseCommand {
  static override summary = "Set an app's secrets from a dotenv file on stdin, in one change and one release.";
  static override description =
    "The dotenv format as `dotenv` reads it: NAME=value lines, quotes, `export`, comments, multi-line values in double quotes. Names not in the file are kept.";
  static override examples = [
    "<%= config.bin %> secrets import web < .env",
    "<%= config.bin %> secrets import web --stage < production.env",
  ];
  static override args = { app: appArg };
  static override flags = { stage: stageFlag };

  async run(): Promise<SecretsChangeResult> {
    const { args, flags } = await this.parse(SecretsImport);
    const app = validAppName(args.app);
    const text = await readStdin(`mc secrets import ${app}`);
    const { parse } = await import("dotenv");
    const set = await checkedSecrets(parse(text));
    if (Object.keys(set).length === 0) throw new UsageError("no NAME=value lines on stdin: nothing to import");
    const result = await (await this.client()).secrets.change(app, { set, stage: flags.stage || undefined });
    this.say(describeSecretsChange(result, flags.stage));
    return result;
  }
}
