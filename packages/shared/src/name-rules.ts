/** Tenant, app and volume names are DNS labels, so they can appear in hostnames as they are. */
export const NAME_PATTERN = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;
export const NAME_RULE = "must be 1-32 characters of lowercase letters, digits and '-', start with a letter and not end with '-'";

/** Returns the reason a name is invalid, or undefined when it is valid. */
export function checkName(name: string): string | undefined {
  return NAME_PATTERN.test(name) ? undefined : NAME_RULE;
}

/** Hostnames the platform keeps for itself; apps may not take them. */
export const RESERVED_APP_NAMES = new Set(["dashboard", "api", "admin", "www", "ingress", "dns"]);
export const RESERVED_RULE = `is reserved for the platform (${[...RESERVED_APP_NAMES].join(", ")}); pick another name`;

/** Returns the reason an app name is invalid (a bad label or a reserved name), or undefined. */
export function checkAppName(name: string): string | undefined {
  return checkName(name) ?? (RESERVED_APP_NAMES.has(name) ? RESERVED_RULE : undefined);
}
