import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "../../lib/base-command.ts";
import { confirmByName } from "../../lib/interaction.ts";

export default class TenantsDelete extends BaseCommand {
  static override summary = "Delete a tenant and every container, network, volume, image and key it owns. Admin only.";
  static override description = "Asks for confirmation on a TTY; scripts must pass --yes.";
  static override examples = ["<%= config.bin %> tenants delete acme", "<%= config.bin %> tenants delete acme --yes"];
  static override args = { name: Args.string({ description: "tenant name", required: true }) };
  static override flags = { yes: Flags.boolean({ char: "y", description: "do not ask for confirmation" }) };

  async run() {
    const { args, flags } = await this.parse(TenantsDelete);
    if (!(await confirmByName({ yes: flags.yes, name: args.name, what: `deleting tenant ${args.name} removes everything it owns` }))) {
      this.say("nothing deleted");
      return { deleted: false, name: args.name };
    }
    await (await this.client()).tenants.delete(args.name);
    this.say(`tenant ${args.name} deleted`);
    return { deleted: true, name: args.name };
  }
}
