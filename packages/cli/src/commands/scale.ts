import { describeIssues, type ScaleRequest, scaleRequestSchema } from "@minicloud/shared";
import { Flags } from "@oclif/core";
import { appArg, validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { withSpinner } from "../lib/interaction.ts";
import { confirmationLine, renderInstances } from "../lib/render-app.ts";
import { UsageError } from "../lib/usage-error.ts";

export default class Scale extends BaseCommand {
  static override summary = "Change an app's instance count, or its memory and CPUs per instance.";
  static override description = [
    "A new count is applied in place: new instances start and must be healthy before they receive",
    "traffic; surplus ones leave the ingress and DNS before they stop. New memory or CPUs are a",
    "rolling deploy of a new release. Both are checked against the tenant's quota first.",
  ].join("\n");
  static override examples = [
    "<%= config.bin %> scale web --count 3",
    "<%= config.bin %> scale web --count 0",
    "<%= config.bin %> scale web --memory 512m --cpus 1",
  ];
  static override args = { app: appArg };
  static override flags = {
    count: Flags.string({ char: "c", description: "number of instances (0 keeps the app with none running)" }),
    memory: Flags.string({ char: "m", description: "memory limit per instance, e.g. 512m" }),
    cpus: Flags.string({ description: "CPU limit per instance, e.g. 1" }),
  };

  async run() {
    const { args, flags } = await this.parse(Scale);
    const name = validAppName(args.app);
    const change: ScaleRequest = {
      ...(flags.count === undefined ? {} : { count: wholeNumber(flags.count, "--count") }),
      ...(flags.memory === undefined ? {} : { memory: flags.memory }),
      ...(flags.cpus === undefined ? {} : { cpus: flags.cpus }),
    };
    const checked = scaleRequestSchema.safeParse(change);
    if (!checked.success) throw new UsageError(describeIssues(checked.error).message);
    const client = await this.client();
    const app = await withSpinner(!this.jsonEnabled(), `Scaling ${name}…`, () => client.apps.scale(name, change));
    this.say(`${confirmationLine(app, "scaled")}, release ${app.release}`);
    this.say(renderInstances(app));
    return app;
  }
}

function wholeNumber(text: string, flag: string): number {
  if (!/^\d{1,6}$/.test(text.trim())) throw new UsageError(`${flag} takes a whole number such as 3, got "${text}"`);
  return Number(text);
}
