import { BaseCommand } from "../../lib/base-command.ts";
import { colourState, table } from "../../lib/output.ts";

export default class AppsList extends BaseCommand {
  static override summary = "List the apps of your tenant.";
  static override examples = ["<%= config.bin %> apps list", "<%= config.bin %> apps list --json"];

  async run() {
    await this.parse(AppsList);
    const { apps } = await (await this.client()).apps.list();
    if (apps.length === 0) this.say("no apps yet — deploy one with `mc deploy APP --image IMAGE --port PORT`");
    else {
      this.say(
        table(
          ["NAME", "STATE", "INSTANCES", "IMAGE", "URL"],
          apps.map((a) => [
            a.name,
            colourState(a.desired),
            `${a.instances.filter((i) => i.state === "running").length}/${a.count}`,
            a.image,
            a.url,
          ]),
        ),
      );
    }
    return { apps };
  }
}
