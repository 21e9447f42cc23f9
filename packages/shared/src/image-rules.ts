/**
 * Image references as the engine parses them (distribution's reference grammar):
 * `[registry[:port]/]name[/name…][:tag][@algorithm:hex]`. Checked here, without zod, so the CLI
 * can refuse a bad one before a request and the daemon never hands the engine what it rejects.
 */
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `${DOMAIN_PART}(?:\\.${DOMAIN_PART})*(?::[0-9]+)?`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const NAME_TAG_DIGEST = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);
const DOMAIN_ONLY = new RegExp(`^${DOMAIN}$`);

export const IMAGE_RULE = "must be an image reference such as minicloud/hello:latest or registry.example.com:5000/team/app:1.2";

/** Why an image reference is invalid, or undefined when the engine would take it. */
export function checkImageReference(reference: string): string | undefined {
  if (reference.length > 255) return IMAGE_RULE;
  // As the engine reads it: the first part is a registry only when it has a '.' or a ':' or is
  // localhost (`team/app` is a name on the default registry, and names are lowercase).
  const slash = reference.indexOf("/");
  const first = slash > 0 ? reference.slice(0, slash) : "";
  const isRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  if (isRegistry && !DOMAIN_ONLY.test(first)) return IMAGE_RULE;
  return NAME_TAG_DIGEST.test(isRegistry ? reference.slice(slash + 1) : reference) ? undefined : IMAGE_RULE;
}
