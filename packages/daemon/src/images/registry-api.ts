import { createHash } from "node:crypto";
import { DOCKER_HUB, type ParsedReference } from "@minicloud/shared";

/** How long a registry may take to answer one step (a ping, a token, a manifest). */
export const REGISTRY_TIMEOUT_MS = 10_000;

export interface BasicCredentials {
  username: string;
  password: string;
}

export type RegistryFailure = "unknown_repository" | "unknown_tag" | "auth_required" | "auth_failed" | "unreachable";

/** What a registry said no to (or did not answer); `registry` is its host, for the message. */
export class RegistryError extends Error {
  readonly kind: RegistryFailure;
  readonly registry: string;

  constructor(kind: RegistryFailure, registry: string, message: string) {
    super(message);
    this.name = "RegistryError";
    this.kind = kind;
    this.registry = registry;
  }
}

const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** Registries on loopback speak plain HTTP, as the engine allows them (its default insecure range). */
export function registryBase(host: string): string {
  if (host === DOCKER_HUB) return "https://registry-1.docker.io";
  const name = host.replace(/:\d+$/, "");
  const loopback = name === "localhost" || /^127\./.test(name) || name === "[::1]";
  return `${loopback ? "http" : "https"}://${host}`;
}

export interface ResolvedManifest {
  digest: string;
  /** What a pull downloads at most (compressed layers and config, this platform's), when the registry says. */
  bytes: number | null;
}

/**
 * The registry's digest for a reference, asked with these credentials (none: anonymously): the
 * proof that this tenant may have the image, whatever the engine already holds.
 */
export async function resolveManifest(
  parsed: ParsedReference,
  credentials: BasicCredentials | undefined,
  signal?: AbortSignal,
): Promise<ResolvedManifest> {
  const reference = parsed.digest ?? parsed.tag ?? "latest";
  const url = `${registryBase(parsed.registry)}/v2/${parsed.repository}/manifests/${reference}`;
  const response = await authorizedFetch(parsed.registry, url, credentials, `repository:${parsed.repository}:pull`, signal, {
    accept: MANIFEST_TYPES,
  });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status === 404) {
    // A manifest's 404 does not always tell a missing repository from a missing tag; its tag list does.
    const codes = errorCodes(body);
    if (!codes.includes("NAME_UNKNOWN")) {
      const tags = await authorizedFetch(
        parsed.registry,
        `${registryBase(parsed.registry)}/v2/${parsed.repository}/tags/list`,
        credentials,
        `repository:${parsed.repository}:pull`,
        signal,
      );
      codes.push(...(tags.status === 404 ? errorCodes(Buffer.from(await tags.arrayBuffer())) : []));
      if (tags.status !== 404) await tags.arrayBuffer();
    }
    if (codes.includes("NAME_UNKNOWN"))
      throw new RegistryError("unknown_repository", parsed.registry, `registry ${parsed.registry} has no repository ${parsed.repository}`);
    throw new RegistryError(
      "unknown_tag",
      parsed.registry,
      `repository ${parsed.repository} on registry ${parsed.registry} has no ${parsed.digest ? "manifest" : "tag"} ${reference}`,
    );
  }
  if (response.status === 401 || response.status === 403) {
    throw new RegistryError(
      credentials ? "auth_failed" : "auth_required",
      parsed.registry,
      credentials
        ? `registry ${parsed.registry} refused your credentials for ${parsed.repository} — check them (mc registry login ${parsed.registry})`
        : `registry ${parsed.registry} requires a login for ${parsed.repository} (mc registry login ${parsed.registry})`,
    );
  }
  if (!response.ok)
    throw new RegistryError(
      "unreachable",
      parsed.registry,
      `registry ${parsed.registry} answered ${response.status} for ${parsed.repository}:${reference}`,
    );
  const digest = response.headers.get("docker-content-digest") ?? `sha256:${createHash("sha256").update(body).digest("hex")}`;
  return { digest, bytes: await manifestBytes(parsed, body, credentials, signal).catch(() => null) };
}

const PLATFORM_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x" };

interface Manifest {
  config?: { size?: number };
  layers?: { size?: number }[];
  manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
}

/** The sizes a manifest lists; an index is read through to this host's platform. */
async function manifestBytes(
  parsed: ParsedReference,
  body: Buffer,
  credentials: BasicCredentials | undefined,
  signal: AbortSignal | undefined,
): Promise<number | null> {
  const manifest = JSON.parse(body.toString("utf8")) as Manifest;
  if (manifest.layers) return (manifest.config?.size ?? 0) + manifest.layers.reduce((sum, layer) => sum + (layer.size ?? 0), 0);
  const arch = PLATFORM_ARCH[process.arch] ?? process.arch;
  const entry = manifest.manifests?.find((m) => m.platform?.os === "linux" && m.platform.architecture === arch);
  if (!entry) return null;
  const url = `${registryBase(parsed.registry)}/v2/${parsed.repository}/manifests/${entry.digest}`;
  const response = await authorizedFetch(parsed.registry, url, credentials, `repository:${parsed.repository}:pull`, signal, {
    accept: MANIFEST_TYPES,
  });
  const child = Buffer.from(await response.arrayBuffer());
  if (!response.ok) return null;
  const platform = JSON.parse(child.toString("utf8")) as Manifest;
  return platform.layers ? (platform.config?.size ?? 0) + platform.layers.reduce((sum, layer) => sum + (layer.size ?? 0), 0) : null;
}

/** Checks a login the way `docker login` does: the API root, through the registry's own auth flow. */
export async function verifyLogin(host: string, credentials: BasicCredentials, signal?: AbortSignal): Promise<void> {
  const response = await authorizedFetch(host, `${registryBase(host)}/v2/`, credentials, undefined, signal);
  await response.arrayBuffer();
  if (response.status === 401 || response.status === 403)
    throw new RegistryError("auth_failed", host, `registry ${host} refused the username and password — check them and log in again`);
  if (!response.ok)
    throw new RegistryError("unreachable", host, `registry ${host} answered ${response.status} at /v2/: is it a Docker registry?`);
}

/**
 * A request through the registry's auth: anonymous first; on a 401, HTTP Basic or a bearer token
 * from the realm it names (the token request carries the credentials), then once more.
 */
async function authorizedFetch(
  registry: string,
  url: string,
  credentials: BasicCredentials | undefined,
  scope: string | undefined,
  signal: AbortSignal | undefined,
  headers: Record<string, string> = {},
): Promise<Response> {
  const first = await timedFetch(registry, url, { headers }, signal);
  if (first.status !== 401) return first;
  const challenge = first.headers.get("www-authenticate") ?? "";
  await first.arrayBuffer();
  const basic = credentials ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}` : undefined;
  // The first answer's body is read: callers get a fresh 401 in its place.
  const refused = () => new Response(null, { status: 401 });
  if (/^basic/i.test(challenge)) {
    if (!basic) return refused();
    return timedFetch(registry, url, { headers: { ...headers, authorization: basic } }, signal);
  }
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  if (!/^bearer/i.test(challenge) || !params.realm) return refused();
  const tokenUrl = new URL(params.realm);
  if (params.service) tokenUrl.searchParams.set("service", params.service);
  if (scope) tokenUrl.searchParams.set("scope", scope);
  if (credentials) tokenUrl.searchParams.set("account", credentials.username);
  const tokenResponse = await timedFetch(registry, tokenUrl.toString(), { headers: basic ? { authorization: basic } : {} }, signal);
  if (!tokenResponse.ok) {
    await tokenResponse.arrayBuffer();
    return refused();
  }
  const token = (await tokenResponse.json()) as { token?: string; access_token?: string };
  const bearer = token.token ?? token.access_token;
  if (!bearer) return refused();
  return timedFetch(registry, url, { headers: { ...headers, authorization: `Bearer ${bearer}` } }, signal);
}

/** Manifests, tag lists and tokens are small: an answer larger than this is no registry's. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * One request, its whole answer read within the step's time (a registry that sends its headers
 * and then stalls is as late as one that says nothing) and its size bounded.
 */
async function timedFetch(registry: string, url: string, init: RequestInit, signal: AbortSignal | undefined): Promise<Response> {
  const timeout = AbortSignal.timeout(REGISTRY_TIMEOUT_MS);
  try {
    const response = await fetch(url, { ...init, redirect: "follow", signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      // Leaving the loop cancels the rest of the body.
      if (size > MAX_ANSWER_BYTES)
        throw new RegistryError("unreachable", registry, `registry ${registry} answered with more than 4 MiB: not a registry's answer`);
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    return new Response(response.status === 204 || response.status === 304 ? null : body, {
      status: response.status,
      headers: response.headers,
    });
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    if (signal?.aborted) throw error;
    const reason = timeout.aborted
      ? `did not answer within ${REGISTRY_TIMEOUT_MS / 1000} s`
      : `is not reachable (${(error as { cause?: { code?: string; message?: string } }).cause?.code ?? (error as Error).message})`;
    throw new RegistryError("unreachable", registry, `registry ${registry} ${reason}`);
  }
}

function errorCodes(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { errors?: { code?: string }[] };
    return (parsed.errors ?? []).map((e) => e.code ?? "");
  } catch {
    return [];
  }
}
