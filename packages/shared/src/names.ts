import { z } from "zod";

/** Tenant, app and volume names are DNS labels, so they can appear in hostnames as they are. */
export const NAME_PATTERN = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;
export const NAME_RULE = "must be 1-32 characters of lowercase letters, digits and '-', start with a letter and not end with '-'";

export const nameSchema = z.string().regex(NAME_PATTERN, { message: NAME_RULE });

/** Returns the reason a name is invalid, or undefined when it is valid. */
export function checkName(name: string): string | undefined {
  return NAME_PATTERN.test(name) ? undefined : NAME_RULE;
}

/** Hostnames the platform keeps for itself; apps may not take them. */
export const RESERVED_APP_NAMES = new Set(["dashboard", "api", "admin", "www", "ingress", "dns"]);

/** An app name: a DNS label that is not one of the platform's own host names. */
export const appNameSchema = nameSchema.refine((name) => !RESERVED_APP_NAMES.has(name), {
  message: `is reserved for the platform (${[...RESERVED_APP_NAMES].join(", ")}); pick another name`,
});

/** Docker object-name separator: names cannot contain it, so `a-b`+`c` never meets `a`+`b-c`. */
export const OBJECT_NAME_SEPARATOR = "_";
