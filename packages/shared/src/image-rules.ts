/**
 * Image references as the engine parses them (distribution's reference grammar):
 * `[registry[:port]/]name[/name…][:tag][@algorithm:hex]`. Checked here, without zod, so the CLI
 * can refuse a bad one before a request and the daemon never hands the engine what it rejects.
 */
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `${DOMAIN_PART}(?:\\.${DOMAIN_PART})*(?::[0-9]+)?`;
const TAG = "[\\w][\\w.-]{0,127}";
// Only the digests a registry serves, each with its algorithm's length: a digest of any other shape
// cannot match an image, so it is refused before a request (the engine would ask a registry first).
const DIGEST = "(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})";
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

export const REGISTRY_HOST_RULE = "must be a registry host such as registry.example.com or 127.0.0.1:5000 (no scheme, no path)";

/** Why a registry host (as `mc registry login` takes it) is invalid, or undefined. */
export function checkRegistryHost(host: string): string | undefined {
  return host.length <= 255 && DOMAIN_ONLY.test(host) ? undefined : REGISTRY_HOST_RULE;
}

/** The registry Docker Hub's short names live on. */
export const DOCKER_HUB = "docker.io";

/** A valid reference split as the engine reads it; `docker.io` names get their `library/` part. */
export interface ParsedReference {
  /** `docker.io`, `127.0.0.1:5000`, `registry.example.com`. */
  registry: string;
  /** The path in the registry, e.g. `library/nginx`, `team/app`. */
  repository: string;
  tag: string | null;
  digest: string | null;
}

/** Splits a reference that checkImageReference accepted. */
export function parseImageReference(reference: string): ParsedReference {
  const slash = reference.indexOf("/");
  const first = slash > 0 ? reference.slice(0, slash) : "";
  const isRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  let registry = isRegistry ? first : DOCKER_HUB;
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = DOCKER_HUB;
  let rest = isRegistry ? reference.slice(slash + 1) : reference;
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(":");
  const tag = colon >= 0 ? rest.slice(colon + 1) : null;
  let repository = colon >= 0 ? rest.slice(0, colon) : rest;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  return { registry, repository, tag: tag ?? (digest ? null : "latest"), digest };
}

/** The reference as the engine lists it: `busybox:latest`, `127.0.0.1:5000/team/app@sha256:…`. */
export function canonicalReference(parsed: ParsedReference): string {
  const name = parsed.registry === DOCKER_HUB ? parsed.repository.replace(/^library\//, "") : `${parsed.registry}/${parsed.repository}`;
  return parsed.digest ? `${name}@${parsed.digest}` : `${name}:${parsed.tag ?? "latest"}`;
}
