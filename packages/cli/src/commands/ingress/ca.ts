import { BaseCommand } from "../../lib/base-command.ts";

export default class IngressCa extends BaseCommand {
  static override summary = "Print the ingress CA's root certificate (PEM), to trust the apps' HTTPS URLs.";
  static override description = [
    "Caddy signs every app's certificate with minicloud's own CA. Trust this root once and every",
    "https://<app>.<tenant>.<domain> URL verifies: `curl --cacert`, or add it to the system store",
    "(Debian: copy to /usr/local/share/ca-certificates/minicloud.crt and run update-ca-certificates).",
  ].join("\n");
  static override examples = [
    "<%= config.bin %> ingress ca > minicloud-ca.pem",
    "curl --cacert minicloud-ca.pem https://web.acme.cloud.local",
  ];

  async run() {
    await this.parse(IngressCa);
    const ca = await (await this.client()).ingressCa();
    if (!this.jsonEnabled()) process.stdout.write(ca.certificate);
    return ca;
  }
}
