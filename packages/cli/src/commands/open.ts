import { ApiError } from "@minicloud/shared/errors";
import { Flags } from "@oclif/core";
import { appArg, validAppName } from "../lib/app-args.ts";
import { BaseCommand } from "../lib/base-command.ts";
import { openInBrowser } from "../lib/opener.ts";

export default class Open extends BaseCommand {
  static override summary = "Open an app's URL in the browser; without a desktop, print it.";
  static override examples = ["<%= config.bin %> open web", "<%= config.bin %> open web --https", "<%= config.bin %> open web --json"];
  static override args = { app: appArg };
  static override flags = { https: Flags.boolean({ description: "the HTTPS URL (the ingress's own CA: `mc ingress ca`)" }) };

  async run() {
    const { args, flags } = await this.parse(Open);
    const name = validAppName(args.app);
    // The listing is served from the daemon's cache; an app's own view samples CPU and memory.
    const app = (await (await this.client()).apps.list()).apps.find((a) => a.name === name);
    if (!app) throw new ApiError("not_found", `app ${name} not found — see \`mc apps list\``);
    const url = flags.https ? app.httpsUrl : app.url;
    if (!url) {
      const why =
        app.desired === "stopped"
          ? `it is stopped — \`mc start ${name}\``
          : app.protocol === "tcp"
            ? `it is a tcp app, reached inside the tenant at ${app.internalAddress}`
            : "it has no port — redeploy it with --port";
      throw new ApiError("conflict", `${name} has no URL: ${why}`);
    }
    const opened = openInBrowser(url);
    this.say(opened ? `opening ${url}` : url);
    return { url, opened };
  }
}
