import { BaseCommand } from "../lib/base-command.ts";
import { resolveEndpoint } from "../lib/credentials.ts";
import { openInBrowser } from "../lib/opener.ts";

export default class Dashboard extends BaseCommand {
  static override summary = "Print the web dashboard's URL, and open it on a desktop (never in CI or without a TTY).";
  static override description =
    "The dashboard is served by mcd on its TCP listener under /dashboard; sign in there with an API key (`mc keys create`).";
  static override examples = ["<%= config.bin %> dashboard", "<%= config.bin %> dashboard --json"];

  async run() {
    await this.parse(Dashboard);
    const endpoint = await resolveEndpoint();
    const url = `${await listenerOrigin(endpoint.host, () => this.client())}/dashboard`;
    const opened = openInBrowser(url);
    this.say(opened ? `opening ${url}` : url);
    return { url, opened };
  }
}

/** The TCP listener's origin: the host we talk to, or (over the Unix socket) the daemon's `listen` setting. */
async function listenerOrigin(
  host: string,
  client: () => Promise<{ daemonSettings(): Promise<{ settings: { key: string; value: string | null }[] }> }>,
): Promise<string> {
  if (!host.startsWith("unix://")) return new URL(host).origin;
  const settings = await (await client()).daemonSettings();
  const listen = settings.settings.find((s) => s.key === "listen")?.value ?? "127.0.0.1:7070";
  const match = /^\[?(.*?)\]?:(\d+)$/.exec(listen);
  const address = match?.[1] ?? "127.0.0.1";
  const reachable = address === "0.0.0.0" || address === "::" ? "127.0.0.1" : address;
  const loopback = reachable === "localhost" || reachable === "::1" || reachable.startsWith("127.");
  const shown = reachable.includes(":") ? `[${reachable}]` : reachable;
  // Beyond loopback mcd serves TLS (docs/security.md).
  return `${loopback ? "http" : "https"}://${shown}:${match?.[2] ?? "7070"}`;
}
