import type { SecretsChangeResult } from "@minicloud/shared";
import { appArg, validAppName } from "../../lib/app-args.ts";
import { BaseCommand } from "../../lib/base-command.ts";
import { checkedNames, describeSecretsChange, stageFlag } from "../../lib/secret-args.ts";

export default class SecretsUnset extends BaseCommand {
  static override summary = "Remove secrets from an app: a new release without them (or --stage for the next deploy).";
  static override examples = [
    "<%= config.bin %> secrets unset web API_KEY",
    "<%= config.bin %> secrets unset web OLD_TOKEN LEGACY_URL --stage",
  ];
  static override strict = false;
  static override args = { app: appArg };
  static override flags = { stage: stageFlag };

  async run(): Promise<SecretsChangeResult> {
    const { args, flags, argv } = await this.parse(SecretsUnset);
    const app = validAppName(args.app);
    const unset = await checkedNames((argv as string[]).slice(1));
    const result = await (await this.client()).secrets.change(app, { unset, stage: flags.stage || undefined });
    this.say(describeSecretsChange(result, flags.stage));
    return result;
  }
}
