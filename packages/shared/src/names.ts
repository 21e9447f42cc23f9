import { z } from "zod";
import { NAME_PATTERN, NAME_RULE, RESERVED_APP_NAMES, RESERVED_RULE } from "./name-rules.ts";

export * from "./name-rules.ts";

export const nameSchema = z.string().regex(NAME_PATTERN, { message: NAME_RULE });

/** An app name: a DNS label that is not one of the platform's own host names. */
export const appNameSchema = nameSchema.refine((name) => !RESERVED_APP_NAMES.has(name), { message: RESERVED_RULE });

/** Docker object-name separator: names cannot contain it, so `a-b`+`c` never meets `a`+`b-c`. */
export const OBJECT_NAME_SEPARATOR = "_";
