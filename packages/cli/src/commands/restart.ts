import { AppActionCommand } from "../lib/app-action.ts";
import { appArg } from "../lib/app-args.ts";

export default class Restart extends AppActionCommand {
  static override summary = "Restart an app's instances one at a time.";
  static override examples = ["<%= config.bin %> restart web", "<%= config.bin %> restart web --json"];
  static override args = { app: appArg };
  protected readonly action = "restart";
}
