import path from "node:path";
import { type DeployRequest, deployRequestSchema, describeIssues } from "@minicloud/shared";
import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../lib/base-command.ts";
import { withSpinner } from "../lib/interaction.ts";
import { chalk } from "../lib/output.ts";
import { UsageError } from "../lib/usage-error.ts";

export default class Deploy extends BaseCommand {
  static override summary = "Deploy an app from an image and print its URL.";
  static override description =
    "Starts COUNT hardened instances of the image in your tenant's network, waits until each answers HTTP on --port at --health-path, then prints the URL. Nothing is left behind when a deploy fails.";
  static override examples = [
    "<%= config.bin %> deploy web --image minicloud/hello:latest --port 8080",
    "<%= config.bin %> deploy api --image my/api:1.2 --port 3000 --count 3 --memory 512m --cpus 1 --env NODE_ENV=production",
    "<%= config.bin %> deploy web --image minicloud/hello:latest --port 8080 --json",
  ];
  static override args = { app: Args.string({ description: "app name (default: the current directory's name)" }) };
  static override flags = {
    image: Flags.string({ char: "i", description: "image to run (must exist on the host's engine)" }),
    port: Flags.integer({ char: "p", description: "port the app listens on inside the container" }),
    count: Flags.integer({ char: "n", description: "number of instances", default: 1 }),
    memory: Flags.string({ char: "m", description: "memory limit per instance, e.g. 256m, 1g", default: "256m" }),
    cpus: Flags.string({ description: "CPU limit per instance, e.g. 0.5", default: "0.5" }),
    env: Flags.string({ char: "e", description: "environment variable K=V (repeatable)", multiple: true }),
    "health-path": Flags.string({ description: "HTTP path that must answer before the deploy counts", default: "/" }),
    "writable-rootfs": Flags.boolean({ description: "opt out of the read-only root filesystem" }),
  };

  async run() {
    const { args, flags } = await this.parse(Deploy);
    const name = args.app ?? path.basename(process.cwd());
    if (!flags.image) throw new UsageError("--image is required: name an image on the host's engine, e.g. --image minicloud/hello:latest");
    const request: DeployRequest = {
      name,
      image: flags.image,
      port: flags.port,
      count: flags.count,
      memory: flags.memory,
      cpus: flags.cpus,
      env: parseEnv(flags.env ?? []),
      healthPath: flags["health-path"],
      readOnlyRootfs: !flags["writable-rootfs"],
    };
    const checked = deployRequestSchema.safeParse(request);
    if (!checked.success) throw new UsageError(describeIssues(checked.error).message);

    const client = await this.client();
    const app = await withSpinner(!this.jsonEnabled(), `Deploying ${name}…`, () => client.apps.deploy(request));
    this.say(
      `${chalk.green("✔")} ${app.name} deployed: ${app.instances.length} instance(s) [${app.instances.map((i) => i.id).join(", ")}]`,
    );
    if (app.url) this.say(`  ${chalk.bold(app.url)}`);
    if (app.httpsUrl) this.say(`  ${chalk.bold(app.httpsUrl)}  (trust it with \`mc ingress ca\`)`);
    return app;
  }
}

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--env takes KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}
