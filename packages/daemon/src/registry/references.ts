/** `mc deploy --image registry/<tenant>/<name>:tag` is the built-in registry's short form. */
export const SHORT_PREFIX = "registry/";

/** Where the engine reaches the built-in registry: loopback, which Docker trusts over plain HTTP. */
export function registryHost(port: number): string {
  return `127.0.0.1:${port}`;
}

/** The short form written out (`registry/acme/web:v1` → `127.0.0.1:<port>/acme/web:v1`); other references as given. */
export function expandReference(reference: string, port: number): string {
  return reference.startsWith(SHORT_PREFIX) ? `${registryHost(port)}/${reference.slice(SHORT_PREFIX.length)}` : reference;
}

/** A reference into the built-in registry, split up; undefined for any other reference. */
export function registryReference(reference: string, port: number): { tenant: string; repository: string } | undefined {
  const prefix = `${registryHost(port)}/`;
  if (!reference.startsWith(prefix)) return undefined;
  const path = reference.slice(prefix.length);
  const repository = path.replace(/@.*$/, "").replace(/:[^/]*$/, "");
  const tenant = repository.split("/")[0] ?? "";
  return tenant && repository.includes("/") ? { tenant, repository } : undefined;
}
