import { Errors, type Hook } from "@oclif/core";
import { closestCommand } from "../lib/suggest.ts";

/**
 * `mc deplyo web` → "did you mean `mc deploy`?", exit 2 like any other bad usage (oclif's own
 * plugin exits 127 and suggests nothing without a TTY, where scripts most need the hint).
 */
const hook: Hook<"command_not_found"> = async ({ id, config }) => {
  const words = id.split(":");
  const commands = config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases].map((name) => name.split(":")));
  const match = closestCommand(words, commands);
  const typed = words.slice(0, match?.length ?? 1).join(" ");
  const hint = match ? ` Did you mean \`${config.bin} ${match.join(" ")}\`?` : "";
  throw new Errors.CLIError(`"${typed}" is not an ${config.bin} command.${hint} \`${config.bin} help\` lists them.`, { exit: 2 });
};

export default hook;
