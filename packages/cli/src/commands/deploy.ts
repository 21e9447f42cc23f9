import path from "node:path";
import type { DeployRequest, DeployResult } from "@minicloud/shared";
import { checkImageReference } from "@minicloud/shared/image-rules";
import { Args, Flags } from "@oclif/core";
import { validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { buildImage, hasDockerfile } from "../lib/build.ts";
import { splitCommand } from "../lib/command-line.ts";
import { parseSeconds } from "../lib/duration.ts";
import { parseEnvPairs, readEnvFile } from "../lib/env-file.ts";
import { canAnimate, withSpinner } from "../lib/interaction.ts";
import { readManifest } from "../lib/manifest.ts";
import { chalk } from "../lib/output.ts";
import { pullImage } from "../lib/pull.ts";
import { renderChanges } from "../lib/render-app.ts";
import { UsageError } from "../lib/usage-error.ts";
import { parseVolumeFlag } from "../lib/volume-args.ts";

export default class Deploy extends BaseCommand {
  static override summary = "Deploy an app (a new release, rolling) and print its URLs; reads ./mc.toml.";
  static override description = [
    "Starts COUNT hardened instances of the image in your tenant's network, waits until each passes its health check (HTTP on --port at --health-path, or a TCP connect with --protocol tcp), routes them, then retires the previous release's instances. A release that fails its health check is removed and the previous one keeps serving.",
    "",
    "A redeploy changes what you tell it and keeps every other setting of the running release: `mc deploy web --image web:2` keeps its count, memory, CPUs, env and command. Precedence: flags, then ./mc.toml, then the running release, then the defaults; --reset starts from the defaults. The output lists what changed.",
    "",
    "Without --image (and no image in mc.toml), ./Dockerfile (or --dockerfile) is built by the daemon; its EXPOSE gives the port when none is set. A redeploy without either runs the current image again as a new release.",
  ].join("\n");
  static override examples = [
    "<%= config.bin %> deploy web --image minicloud/hello:latest --port 8080",
    "<%= config.bin %> deploy web --image minicloud/hello:v2          # keeps count, env, … of the running release",
    "<%= config.bin %> deploy api --image my/api:1.2 --port 3000 --count 3 --memory 512m --cpus 1 --env NODE_ENV=production",
    "<%= config.bin %> deploy api --env-file .env --unset-env DEBUG",
    "<%= config.bin %> deploy db --image postgres:16 --protocol tcp --port 5432 --volume pg:/var/lib/postgresql/data",
    "<%= config.bin %> deploy web --build-arg VERSION=1.2 --no-cache   # builds ./Dockerfile",
    "<%= config.bin %> deploy web --image minicloud/hello:latest --detach --json",
    "<%= config.bin %> deploy api --image registry.example.com/team/api:1.4 --pull always",
  ];
  static override args = { app: Args.string({ description: "app name (default: app in mc.toml, else the current directory's name)" }) };
  static override flags = {
    image: Flags.string({
      char: "i",
      description: "image to run: pulled through its registry when your tenant cannot run it yet (see docs/images.md)",
    }),
    port: Flags.integer({
      char: "p",
      description: "port the app listens on inside the container [default: the image's EXPOSE]",
      min: 1,
      max: 65535,
    }),
    protocol: Flags.option({
      options: ["http", "tcp"] as const,
      description: "http (probed and routed by the ingress) or tcp (TCP check, reached by name inside the tenant) [default: http]",
    })(),
    count: Flags.integer({ char: "c", description: "number of instances [default: 1]", min: 0 }),
    memory: Flags.string({ char: "m", description: "memory limit per instance, e.g. 256m, 1g [default: 256m]" }),
    cpus: Flags.string({ description: "CPU limit per instance, e.g. 0.5 [default: 0.5]" }),
    env: Flags.string({ char: "e", description: "environment variable K=V (repeatable; added to the running release's)", multiple: true }),
    "env-file": Flags.string({ description: "read environment variables from a dotenv file (repeatable; --env wins)", multiple: true }),
    "unset-env": Flags.string({ description: "remove an environment variable the running release has (repeatable)", multiple: true }),
    command: Flags.string({ description: 'program and arguments to run instead of the image\'s CMD, e.g. "httpd -f -p 8080"' }),
    "health-path": Flags.string({
      description: "HTTP path that must answer 2xx/3xx before the deploy counts [default: /, where anything below 500 counts]",
    }),
    "health-timeout": Flags.string({
      description: "how long each new instance may take to pass its health check, e.g. 90s, 5m [default: the daemon's, 30s]",
    }),
    "writable-rootfs": Flags.boolean({
      description: "opt out of the read-only root filesystem (--no-writable-rootfs opts back in)",
      allowNo: true,
    }),
    volume: Flags.string({
      char: "v",
      description: "mount a volume of the tenant: NAME:/path (repeatable; the app then runs one instance)",
      multiple: true,
    }),
    reset: Flags.boolean({ description: "start from the defaults instead of keeping the running release's settings" }),
    detach: Flags.boolean({ char: "d", description: "return once the release has started rolling out; follow it with `mc events -f`" }),
    dockerfile: Flags.string({ description: "Dockerfile to build, relative to the current directory [default: Dockerfile]" }),
    "build-arg": Flags.string({ description: "build argument K=V for the Dockerfile's ARG (repeatable)", multiple: true }),
    "no-cache": Flags.boolean({ description: "build without the engine's layer cache" }),
    pull: Flags.option({
      options: ["always", "missing"] as const,
      description:
        "pull --image through its registry (with your `mc registry login`): missing = only when your tenant cannot run it yet, always = ask the registry again (a moved tag) [default: missing]",
    })(),
  };

  async run(): Promise<DeployResult> {
    const { args, flags } = await this.parse(Deploy);
    const cwd = process.cwd();
    // ./mc.toml first, the command line over it; what neither says, the running release keeps.
    const manifest = (await readManifest(cwd)) ?? {};
    const name = validAppName(args.app ?? manifest.app ?? path.basename(cwd));
    const image = flags.image ?? manifest.image;
    const imageProblem = image === undefined ? undefined : checkImageReference(image);
    if (imageProblem) throw new UsageError(`--image ${image}: ${imageProblem}`);
    const dockerfile = flags.dockerfile ?? "Dockerfile";
    if (path.isAbsolute(dockerfile) || path.normalize(dockerfile).split(path.sep)[0] === "..") {
      throw new UsageError(`--dockerfile ${dockerfile}: must be a path inside the current directory (the build context)`);
    }
    const build = !image && (await hasDockerfile(cwd, dockerfile));
    if (flags.dockerfile && !build) {
      throw new UsageError(
        image ? "--dockerfile builds an image: leave out --image (and image in mc.toml)" : `--dockerfile ${flags.dockerfile}: no such file`,
      );
    }
    if (!build && (flags["build-arg"] || flags["no-cache"]))
      throw new UsageError("--build-arg and --no-cache apply to a Dockerfile build, not to --image");
    const envFiles = await Promise.all((flags["env-file"] ?? []).map(readEnvFile));
    const env = { ...manifest.env, ...Object.assign({}, ...envFiles), ...parseEnvPairs(flags.env ?? []) } as Record<string, string>;
    const command = flags.command ?? manifest.command;
    const request: DeployRequest = omitUndefined({
      name,
      image,
      port: flags.port ?? manifest.port,
      protocol: flags.protocol ?? manifest.protocol,
      count: flags.count ?? manifest.count,
      memory: flags.memory ?? manifest.memory,
      cpus: flags.cpus ?? manifest.cpus,
      env: Object.keys(env).length > 0 ? env : undefined,
      unsetEnv: flags["unset-env"],
      command:
        command === undefined
          ? undefined
          : Array.isArray(command)
            ? command
            : await splitCommand(command, flags.command ? "--command" : "command"),
      healthPath: flags["health-path"] ?? manifest.health_path,
      healthTimeout:
        flags["health-timeout"] === undefined ? manifest.health_timeout : parseSeconds(flags["health-timeout"], "--health-timeout"),
      readOnlyRootfs:
        flags["writable-rootfs"] === undefined
          ? manifest.writable_rootfs === undefined
            ? undefined
            : !manifest.writable_rootfs
          : !flags["writable-rootfs"],
      volumes: flags.volume ? flags.volume.map(parseVolumeFlag) : manifest.volumes?.map((v) => parseVolumeFlag(`${v.name}:${v.path}`)),
      requiredSecrets: manifest.secrets,
      reset: flags.reset || undefined,
      detach: flags.detach || undefined,
    });
    const client = await this.client();
    if (build) {
      // Everything is checked before the context is uploaded. Without a build the daemon checks the
      // request with the same schemas (its invalid_input is exit 2 too) and `mc` skips loading zod.
      const { deployRequestSchema, describeIssues } = await import("@minicloud/shared");
      const checked = deployRequestSchema.safeParse(request);
      if (!checked.success) throw new UsageError(describeIssues(checked.error).message);
      request.image = await buildImage(client, name, cwd, {
        dockerfile: flags.dockerfile,
        noCache: flags["no-cache"],
        buildArgs: parseEnvPairs(flags["build-arg"] ?? [], "--build-arg"),
      });
    }
    if (flags.pull && !image) throw new UsageError("--pull applies to --image (or image in mc.toml), not to a build");
    // The pull streams its progress (a bar, or NDJSON on stderr with --json) before the deploy starts.
    if (image) await pullImage(client, image, flags.pull ?? "missing", this.jsonEnabled());
    const showProgress = !this.jsonEnabled() && !flags.detach && canAnimate();
    const app = await withSpinner(!this.jsonEnabled(), `Deploying ${name}…`, async (setText) => {
      const stopFollowing = showProgress ? await followDeployQuietly(client, name, setText) : () => undefined;
      try {
        return await client.apps.deploy(request);
      } finally {
        stopFollowing();
      }
    });
    this.printResult(app, flags.detach);
    return app;
  }

  private printResult(app: DeployResult, detached: boolean): void {
    const ids = app.instances.map((i) => i.id).join(", ");
    this.say(
      detached
        ? `${chalk.green("✔")} ${app.name}: release rolling out in the background — \`mc events -f --app ${app.name}\` follows it, \`mc status ${app.name}\` shows it`
        : `${chalk.green("✔")} ${app.name} release ${app.release} deployed: ${app.instances.length} instance(s) [${ids}]`,
    );
    // A first deploy "changes" everything from nothing: only a redeploy lists what it changed.
    const first = app.changes.some((change) => change.field === "image" && change.from === null);
    if (!first)
      this.say(
        app.changes.length > 0
          ? renderChanges(app.changes)
          : "  no settings changed: the same image and settings as before, restarted as a new release",
      );
    if (app.url) this.say(`  ${chalk.bold(app.url)}`);
    if (app.httpsUrl) this.say(`  ${chalk.bold(app.httpsUrl)}  (trust it with \`mc ingress ca\`)`);
    if (app.protocol === "tcp" && app.internalAddress) {
      this.say(`  tcp ${chalk.bold(app.internalAddress)} — reachable by the tenant's other apps; no ingress route for tcp apps`);
    } else if (app.port === null) {
      this.say(
        `  no URL: ${app.name} has no port, so the ingress does not route it — give it --port (or EXPOSE in its Dockerfile) if it serves HTTP`,
      );
    }
  }
}

/** Progress is a courtesy: if the event stream cannot be opened, the deploy goes on without it. */
async function followDeployQuietly(...args: Parameters<typeof import("../lib/deploy-progress.ts").followDeploy>): Promise<() => void> {
  try {
    const { followDeploy } = await import("../lib/deploy-progress.ts");
    return await followDeploy(...args);
  } catch {
    return () => undefined;
  }
}

function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
