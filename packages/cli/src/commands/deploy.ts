import path from "node:path";
import type { DeployRequest } from "@minicloud/shared";
import { Args, Flags } from "@oclif/core";
import { validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { buildImage, hasDockerfile } from "../lib/build.ts";
import { withSpinner } from "../lib/interaction.ts";
import { MANIFEST_FILE, manifestCommand, readManifest } from "../lib/manifest.ts";
import { chalk } from "../lib/output.ts";
import { UsageError } from "../lib/usage-error.ts";

export default class Deploy extends BaseCommand {
  static override summary = "Deploy an app (a new release, rolling) and print its URLs; reads ./mc.toml.";
  static override description =
    "Starts COUNT hardened instances of the image in your tenant's network, waits until each answers HTTP on --port at --health-path, routes them, then retires the previous release's instances. A release that fails its health check is removed and the previous one keeps serving. Settings come from ./mc.toml when present (app, image, port, count, memory, cpus, env, command, health_path, writable_rootfs); flags override it.";
  static override examples = [
    "<%= config.bin %> deploy web --image minicloud/hello:latest --port 8080",
    "<%= config.bin %> deploy api --image my/api:1.2 --port 3000 --count 3 --memory 512m --cpus 1 --env NODE_ENV=production",
    "<%= config.bin %> deploy web --image minicloud/hello:latest --port 8080 --json",
  ];
  static override args = { app: Args.string({ description: "app name (default: the current directory's name)" }) };
  static override flags = {
    image: Flags.string({ char: "i", description: "image to run (must exist on the host's engine)" }),
    port: Flags.integer({ char: "p", description: "port the app listens on inside the container" }),
    count: Flags.integer({ char: "n", description: "number of instances [default: 1]" }),
    memory: Flags.string({ char: "m", description: "memory limit per instance, e.g. 256m, 1g [default: 256m]" }),
    cpus: Flags.string({ description: "CPU limit per instance, e.g. 0.5 [default: 0.5]" }),
    env: Flags.string({ char: "e", description: "environment variable K=V (repeatable)", multiple: true }),
    "health-path": Flags.string({ description: "HTTP path that must answer before the deploy counts [default: /]" }),
    "writable-rootfs": Flags.boolean({ description: "opt out of the read-only root filesystem" }),
  };

  async run() {
    const { args, flags } = await this.parse(Deploy);
    // ./mc.toml first, the command line over it.
    const manifest = (await readManifest(process.cwd())) ?? {};
    const name = args.app ?? manifest.app ?? path.basename(process.cwd());
    const image = flags.image ?? manifest.image;
    const build = !image && (await hasDockerfile(process.cwd()));
    if (!image && !build) {
      throw new UsageError(
        `--image is required (or image in ${MANIFEST_FILE}, or a Dockerfile here to build): name an image on the host's engine, e.g. --image minicloud/hello:latest`,
      );
    }
    const request: DeployRequest = {
      name,
      // A placeholder while checking the rest before any upload; the build names the real image.
      image: image ?? "pending/build",
      port: flags.port ?? manifest.port,
      count: flags.count ?? manifest.count,
      memory: flags.memory ?? manifest.memory,
      cpus: flags.cpus ?? manifest.cpus,
      env: { ...manifest.env, ...parseEnv(flags.env ?? []) },
      command: manifestCommand(manifest.command),
      healthPath: flags["health-path"] ?? manifest.health_path,
      readOnlyRootfs: !(flags["writable-rootfs"] || manifest.writable_rootfs),
    };
    validAppName(name);
    const client = await this.client();
    if (build) {
      // Everything is checked before the context is uploaded. Without a build the daemon checks the
      // request with the same schemas (its invalid_input is exit 2 too) and `mc` skips loading zod.
      const { deployRequestSchema, describeIssues } = await import("@minicloud/shared");
      const checked = deployRequestSchema.safeParse(request);
      if (!checked.success) throw new UsageError(describeIssues(checked.error).message);
      request.image = await buildImage(client, name, process.cwd());
    }
    const app = await withSpinner(!this.jsonEnabled(), `Deploying ${name}…`, () => client.apps.deploy(request));
    this.say(
      `${chalk.green("✔")} ${app.name} release ${app.release} deployed: ${app.instances.length} instance(s) [${app.instances.map((i) => i.id).join(", ")}]`,
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
