import { z } from "zod";
import { DEFAULT_SHELL } from "../exec-protocol.ts";

const MAX_ARGS = 256;
const MAX_ARG_CHARS = 8192;
const terminalSize = z.coerce.number().int().min(1).max(1000);

/**
 * The query of `GET /v1/apps/:name/exec` once `cmd` is gathered into an array (it repeats): the
 * argv is passed to the engine as is, so nothing in it is ever parsed by a shell of ours.
 */
export const execQuerySchema = z
  .object({
    cmd: z
      .array(
        z
          .string()
          .max(MAX_ARG_CHARS)
          .refine((arg) => !arg.includes("\0"), "must not contain NUL bytes"),
      )
      .max(MAX_ARGS)
      .default(DEFAULT_SHELL)
      .refine((argv) => argv.length > 0 && argv[0] !== "", "the command must name a program"),
    instance: z
      .string()
      .regex(/^[a-z0-9]{1,64}$/, "an instance id (see `mc status APP`)")
      .optional(),
    tty: z.enum(["true", "false"]).default("false"),
    cols: terminalSize.optional(),
    rows: terminalSize.optional(),
  })
  .strict();
export type ExecQuery = z.output<typeof execQuerySchema>;
