import { AppActionCommand } from "../lib/app-action.ts";
import { appArg } from "../lib/app-args.ts";

export default class Start extends AppActionCommand {
  static override summary = "Start a stopped app and wait until it is healthy.";
  static override examples = ["<%= config.bin %> start web", "<%= config.bin %> start web --json"];
  static override args = { app: appArg };
  protected readonly action = "start";
}
