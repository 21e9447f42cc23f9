import { AppActionCommand } from "../lib/app-action.ts";
import { appArg } from "../lib/app-args.ts";

export default class Stop extends AppActionCommand {
  static override summary = "Stop every instance of an app (it keeps its configuration).";
  static override examples = ["<%= config.bin %> stop web", "<%= config.bin %> stop web --json"];
  static override args = { app: appArg };
  protected readonly action = "stop";
}
