import { Errors, type Hook } from "@oclif/core";
import { suggest } from "../lib/suggest.ts";

/**
 * `mc deplyo` → "did you mean `mc deploy`?", exit 2 like any other bad usage (oclif's own plugin
 * exits 127 and suggests nothing without a TTY, where scripts most need the hint).
 */
const hook: Hook<"command_not_found"> = async ({ id, config }) => {
  const typed = id.replaceAll(":", " ");
  const commands = config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases].map((name) => name.replaceAll(":", " ")));
  const match = suggest(typed, commands);
  throw new Errors.CLIError(
    `"${typed}" is not an ${config.bin} command.${match ? ` Did you mean \`${config.bin} ${match}\`?` : ""} \`${config.bin} help\` lists them.`,
    { exit: 2 },
  );
};

export default hook;
