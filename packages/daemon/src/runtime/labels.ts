import { OBJECT_NAME_SEPARATOR } from "@minicloud/shared";

/** Labels, not names, are the truth about what a Docker object belongs to. */
export const LABEL = {
  managed: "minicloud.managed",
  prefix: "minicloud.prefix",
  tenant: "minicloud.tenant",
  app: "minicloud.app",
  instance: "minicloud.instance",
  /** On a host image (imported or built on the host, never pulled): every tenant may run it. Set by setup. */
  published: "minicloud.published",
} as const;

export function ownedLabels(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL.managed]: "true", [LABEL.prefix]: prefix, ...extra };
}

/** `<prefix>_<part>_<part>`: names cannot contain `_`, so two different owners never share a name. */
export function objectName(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join(OBJECT_NAME_SEPARATOR);
}
