import {
  appListSchema,
  appMetricsSchema,
  appSchema,
  auditVerifySchema,
  createdKeySchema,
  daemonSettingsSchema,
  deliveriesQuerySchema,
  deliveryListSchema,
  deliverySchema,
  deployRequestSchema,
  deployResultSchema,
  domainCreateSchema,
  domainListSchema,
  domainSchema,
  eventListSchema,
  execQuerySchema,
  healthSchema,
  imageListSchema,
  ingressCaSchema,
  keyCreateSchema,
  keyListSchema,
  logsQuerySchema,
  metricsQuerySchema,
  NAME_PATTERN,
  problemSchema,
  pruneResultSchema,
  publishedImageSchema,
  publishedListSchema,
  publishRequestSchema,
  pullRequestSchema,
  quotaSchema,
  quotaUpdateSchema,
  registryCredentialListSchema,
  registryCredentialSchema,
  registryLoginSchema,
  registryNotificationSchema,
  registryTokenQuerySchema,
  registryTokenSchema,
  releaseListSchema,
  rollbackRequestSchema,
  scaleRequestSchema,
  scheduleRequestSchema,
  secretListSchema,
  secretsChangeResultSchema,
  secretsChangeSchema,
  snapshotCreateSchema,
  snapshotListSchema,
  snapshotSchema,
  tenantCreatedSchema,
  tenantCreateSchema,
  tenantListSchema,
  tenantSchema,
  VERSION,
  volumeCreateSchema,
  volumeExtendSchema,
  volumeImportQuerySchema,
  volumeListSchema,
  volumeRestoreSchema,
  volumeSchema,
  webhookCreatedSchema,
  webhookCreateSchema,
  webhookListSchema,
  whoamiSchema,
} from "@minicloud/shared";
import { Hono } from "hono";
import { z } from "zod";
import type { ApiEnv } from "../env.ts";

interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  summary: string;
  body?: z.ZodType;
  response?: z.ZodType;
  stream?: boolean;
  admin?: boolean;
  /** Query parameters, one per property (an array repeats the parameter). */
  query?: z.ZodObject;
  /** A WebSocket upgrade: answers 101, then speaks the protocol the summary points to. */
  websocket?: boolean;
  /** A volume archive (.tar.zst, application/zstd) is the request body ("in") or the answer ("out"). */
  archive?: "in" | "out";
  /** The answer is Prometheus's text exposition format (text/plain; version=0.0.4). */
  exposition?: boolean;
  /** HTTP Basic `<tenant>:<API key>` instead of a Bearer key (the Docker token protocol). */
  basicAuth?: boolean;
}

const ok = z.object({ ok: z.literal(true) });
const ARCHIVE = "application/zstd";
const BINARY = { type: "string", format: "binary" };

/** The route table behind the OpenAPI document; the schemas are the very ones the API validates with. */
export const OPERATIONS: Operation[] = [
  { method: "get", path: "/healthz", summary: "Liveness and engine state (no auth)", response: healthSchema },
  { method: "get", path: "/v1/whoami", summary: "The caller's role, tenant and key", response: whoamiSchema },
  {
    method: "get",
    path: "/v1/registry/token",
    summary:
      "A token for the built-in registry (the Docker token protocol, what `docker login` uses): Basic `<tenant>:<API key>`; pull and push under `<tenant>/` only, pull everywhere for an admin key, never the catalog",
    query: registryTokenQuerySchema,
    response: registryTokenSchema,
    basicAuth: true,
  },
  {
    method: "post",
    path: "/v1/registry/notifications",
    summary: "The built-in registry's push notifications (its own secret as the Bearer; nobody else calls it): image.pushed events",
    body: registryNotificationSchema,
    response: ok,
  },
  {
    method: "get",
    path: "/v1/system/settings",
    summary: "The daemon's effective settings and where each came from: flag, env, a settings file, default (admin)",
    response: daemonSettingsSchema,
    admin: true,
  },
  {
    method: "get",
    path: "/v1/ingress/ca",
    summary: "The ingress CA's root certificate (PEM), to trust its HTTPS",
    response: ingressCaSchema,
  },
  { method: "get", path: "/v1/apps", summary: "List the tenant's apps", response: appListSchema },
  {
    method: "post",
    path: "/v1/apps",
    summary:
      "Deploy an app: a new release, rolled out health-gated; the previous release serves until it passes. Fields left out keep the running release's values (`reset` starts from the defaults); `detach` answers 202 once the release is recorded",
    body: deployRequestSchema,
    response: deployResultSchema,
  },
  { method: "get", path: "/v1/apps/{name}", summary: "An app with per-instance health and usage", response: appSchema },
  { method: "post", path: "/v1/apps/{name}/stop", summary: "Stop an app", response: appSchema },
  { method: "post", path: "/v1/apps/{name}/start", summary: "Start a stopped app", response: appSchema },
  { method: "post", path: "/v1/apps/{name}/restart", summary: "Restart an app", response: appSchema },
  { method: "delete", path: "/v1/apps/{name}", summary: "Destroy an app", response: ok },
  {
    method: "get",
    path: "/v1/apps/{name}/logs",
    summary:
      "Logs as NDJSON from the daemon's log store (replaced, crashed and removed instances too); ?grep takes an RE2 pattern (linear time), ?instance and ?release narrow the read; ?follow streams new lines across redeploys",
    query: logsQuerySchema,
    stream: true,
  },
  {
    method: "get",
    path: "/v1/apps/{name}/metrics",
    summary: "The app's metrics history since ?since (1s-30d, default 1h): CPU, memory, network, pids, restarts, volumes",
    query: metricsQuerySchema,
    response: appMetricsSchema,
  },
  {
    method: "get",
    path: "/v1/metrics",
    summary: "Prometheus exposition of the tenant's instances (container_* names); an admin gets every tenant's, labelled",
    exposition: true,
  },
  { method: "get", path: "/metrics", summary: "The daemon's own Prometheus metrics; a tenant key gets 403", exposition: true, admin: true },
  {
    method: "post",
    path: "/v1/apps/{name}/scale",
    summary: "Change the count in place, or memory/CPUs (a rolling deploy)",
    body: scaleRequestSchema,
    response: appSchema,
  },
  { method: "get", path: "/v1/apps/{name}/releases", summary: "The app's numbered releases", response: releaseListSchema },
  {
    method: "post",
    path: "/v1/apps/{name}/rollback",
    summary: "Deploy an earlier release again (the previous one by default)",
    body: rollbackRequestSchema,
    response: appSchema,
  },
  {
    method: "post",
    path: "/v1/apps/{name}/builds",
    summary: "Build a tar'ed context (body, application/x-tar) into the tenant's namespace; NDJSON output ending in {image} or {error}",
    stream: true,
  },
  {
    method: "get",
    path: "/v1/events",
    summary: "Events (?app, ?after, ?limit); ?follow=true streams NDJSON; a WebSocket upgrade streams JSON messages",
    response: eventListSchema,
  },
  {
    method: "get",
    path: "/v1/apps/{name}/exec",
    summary:
      "WebSocket: run an argv in an instance (binary frames: stdin in, a channel byte 1 stdout / 2 stderr then output out; text frames: {type:eof|resize} in, {type:exit,code} out) — see docs/api.md",
    query: execQuerySchema,
    websocket: true,
  },
  {
    method: "get",
    path: "/v1/apps/{name}/secrets",
    summary: "An app's secrets: names, keyed digests, dates, whether the running release has each — never values",
    response: secretListSchema,
  },
  {
    method: "patch",
    path: "/v1/apps/{name}/secrets",
    summary:
      "Set and unset secrets in one new version of the app's secret set; a new release takes it (rolling, health-gated) unless `stage`. Write-only: no route returns a value",
    body: secretsChangeSchema,
    response: secretsChangeResultSchema,
  },
  { method: "get", path: "/v1/instances/{id}", summary: "One instance of the tenant, by id" },
  {
    method: "get",
    path: "/v1/images",
    summary: "The tenant's images (built and pulled): references, digest, size, kept releases that run each",
    response: imageListSchema,
  },
  {
    method: "post",
    path: "/v1/images/pull",
    summary:
      "Pull an image through its registry with the tenant's credentials (`pull`: missing = only when the tenant cannot run it yet, always = ask the registry again). NDJSON: progress lines, then done or error (see docs/images.md); closing the stream cancels the pull",
    body: pullRequestSchema,
    stream: true,
  },
  {
    method: "post",
    path: "/v1/images/prune",
    summary: "Remove the tenant's images no kept release runs (rollbacks keep working)",
    response: pruneResultSchema,
  },
  { method: "get", path: "/v1/images/published", summary: "Host images published to every tenant", response: publishedListSchema },
  {
    method: "post",
    path: "/v1/images/published",
    summary: "Publish a host image (its bytes, by id) to every tenant (201)",
    body: publishRequestSchema,
    response: publishedImageSchema,
    admin: true,
  },
  {
    method: "delete",
    path: "/v1/images/published",
    summary: "Stop publishing a host image (?image=REF); running apps keep running",
    query: z.object({ image: z.string() }),
    response: ok,
    admin: true,
  },
  {
    method: "get",
    path: "/v1/registry/credentials",
    summary: "The tenant's registry logins: host, user name, date — never a password",
    response: registryCredentialListSchema,
  },
  {
    method: "put",
    path: "/v1/registry/credentials/{host}",
    summary: "Store a login to a registry (host[:port]): checked against the registry first, sealed; wrong credentials are invalid_input",
    body: registryLoginSchema,
    response: registryCredentialSchema,
  },
  { method: "delete", path: "/v1/registry/credentials/{host}", summary: "Remove a registry login", response: ok },
  {
    method: "get",
    path: "/v1/domains",
    summary: "Custom domains of the tenant (?app for one app's)",
    response: domainListSchema,
  },
  {
    method: "post",
    path: "/v1/domains",
    summary:
      "Route a custom host name to an HTTP app, like its own host (201; 200 when it already routes to that app). A name belongs to one tenant: another's is a conflict; names under the platform's zone are refused",
    body: domainCreateSchema,
    response: domainSchema,
  },
  { method: "delete", path: "/v1/domains/{hostname}", summary: "Stop routing a custom domain of the tenant", response: ok },
  { method: "get", path: "/v1/webhooks", summary: "The tenant's alert webhooks (never their secrets)", response: webhookListSchema },
  {
    method: "post",
    path: "/v1/webhooks",
    summary:
      "Deliver the tenant's events of these types to a URL, signed (X-Minicloud-Signature: sha256=HMAC of the body); the secret is in this answer only. URLs that reach the daemon's host are refused",
    body: webhookCreateSchema,
    response: webhookCreatedSchema,
  },
  { method: "delete", path: "/v1/webhooks/{id}", summary: "Remove a webhook of the tenant", response: ok },
  {
    method: "post",
    path: "/v1/webhooks/{id}/test",
    summary: "Send a webhook.test event; answers once the first attempt is over",
    response: deliverySchema,
  },
  {
    method: "get",
    path: "/v1/webhooks/deliveries",
    summary: "Recent deliveries of the tenant's webhooks, newest first: state, attempts, outcomes",
    query: deliveriesQuerySchema,
    response: deliveryListSchema,
  },
  {
    method: "get",
    path: "/v1/volumes",
    summary: "The tenant's volumes: size, use, mounting app, snapshots, schedule",
    response: volumeListSchema,
  },
  {
    method: "post",
    path: "/v1/volumes",
    summary:
      "Create a volume of `size` (reserved against the storage quota), or a copy of a snapshot (`fromSnapshot`, at its volume's size)",
    body: volumeCreateSchema,
    response: volumeSchema,
  },
  { method: "get", path: "/v1/volumes/{name}", summary: "A volume", response: volumeSchema },
  {
    method: "patch",
    path: "/v1/volumes/{name}",
    summary: "Grow a volume (never shrink)",
    body: volumeExtendSchema,
    response: volumeSchema,
  },
  {
    method: "delete",
    path: "/v1/volumes/{name}",
    summary: "Delete a volume and its snapshots (conflict while an app mounts it)",
    response: ok,
  },
  { method: "get", path: "/v1/volumes/{name}/snapshots", summary: "A volume's snapshots", response: snapshotListSchema },
  {
    method: "post",
    path: "/v1/volumes/{name}/snapshots",
    summary: "Take a crash-consistent snapshot while the app runs (writes held for the copy: `pauseMs`)",
    body: snapshotCreateSchema,
    response: snapshotSchema,
  },
  { method: "delete", path: "/v1/volumes/{name}/snapshots/{snapshot}", summary: "Delete a snapshot", response: ok },
  {
    method: "post",
    path: "/v1/volumes/{name}/restore",
    summary: "Restore a snapshot in place: a safety snapshot first, the app stopped around it",
    body: volumeRestoreSchema,
    response: z.object({ volume: volumeSchema, safety: snapshotSchema }),
  },
  {
    method: "put",
    path: "/v1/volumes/{name}/schedule",
    summary: "Snapshot on a cron expression (UTC), keeping the newest `keep` scheduled snapshots",
    body: scheduleRequestSchema,
    response: volumeSchema,
  },
  { method: "delete", path: "/v1/volumes/{name}/schedule", summary: "Remove the schedule (its snapshots stay)", response: volumeSchema },
  {
    method: "get",
    path: "/v1/volumes/{name}/export",
    summary: "A volume (a consistent copy now) or, when {name} is a snapshot id, that snapshot, as .tar.zst",
    archive: "out",
  },
  {
    method: "post",
    path: "/v1/volumes/{name}/import",
    summary: "Create a volume of ?size from a .tar.zst body; the size is reserved before the body is read and bounds what it unpacks to",
    query: volumeImportQuerySchema,
    archive: "in",
    response: volumeSchema,
  },
  { method: "get", path: "/v1/quota", summary: "Usage vs limits", response: quotaSchema },
  { method: "get", path: "/v1/keys", summary: "API keys of the tenant", response: keyListSchema },
  { method: "post", path: "/v1/keys", summary: "Create an API key (shown once)", body: keyCreateSchema, response: createdKeySchema },
  {
    method: "delete",
    path: "/v1/keys/{id}",
    summary: "Revoke an API key (a tenant's last active key, revoked with itself, needs ?force=true)",
    query: z.object({ force: z.enum(["true", "false"]).optional() }),
    response: ok,
  },
  { method: "get", path: "/v1/tenants", summary: "List tenants", response: tenantListSchema, admin: true },
  {
    method: "post",
    path: "/v1/tenants",
    summary: "Create a tenant and its first key",
    body: tenantCreateSchema,
    response: tenantCreatedSchema,
    admin: true,
  },
  { method: "get", path: "/v1/tenants/{name}", summary: "A tenant with quota and usage", response: tenantSchema, admin: true },
  {
    method: "put",
    path: "/v1/tenants/{name}/quota",
    summary: "Override quota limits",
    body: quotaUpdateSchema,
    response: tenantSchema,
    admin: true,
  },
  { method: "delete", path: "/v1/tenants/{name}", summary: "Delete a tenant and everything it owns", response: ok, admin: true },
  { method: "get", path: "/v1/audit", summary: "Audit entries as NDJSON (?follow, ?tail)", stream: true },
  { method: "get", path: "/v1/audit/verify", summary: "Verify the audit hash chain", response: auditVerifySchema, admin: true },
];

/**
 * The methods the API answers on a path, from the route table (`/v1/apps/web` matches
 * `/v1/apps/{name}`); empty when no route has that path.
 */
export function methodsFor(path: string): string[] {
  // The path's own resource only: /v1/webhooks/deliveries is not /v1/webhooks/{id}, as in routing.
  const matching = OPERATIONS.filter((op) => new RegExp(`^${op.path.replace(/\{\w+\}/g, "[^/]+")}$`).test(path));
  const params = (op: Operation) => (op.path.match(/\{\w+\}/g) ?? []).length;
  const fewest = Math.min(...matching.map(params));
  return [...new Set(matching.filter((op) => params(op) === fewest).map((op) => op.method.toUpperCase()))];
}

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });

const STATUS_TEXT: Record<string, string> = { "200": "OK", "201": "Created", "202": "Accepted: under way; follow it with events" };
const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: jsonSchema(problemSchema) } } });

/** POSTs create (201), or answer 200 when there was nothing new to make; a detached deploy is 202. */
function successStatuses(op: Operation): string[] {
  if (op.method !== "post") return ["200"];
  return op.path === "/v1/apps" ? ["200", "201", "202"] : ["200", "201"];
}

function successContent(op: Operation) {
  if (op.stream) return { "application/x-ndjson": { schema: { type: "string" } } };
  if (op.exposition) return { "text/plain": { schema: { type: "string" } } };
  if (op.archive === "out") return { [ARCHIVE]: { schema: BINARY } };
  return { "application/json": { schema: op.response ? jsonSchema(op.response) : {} } };
}

export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const parameters: { name: string | undefined; in: string; required: boolean; schema: unknown }[] = [
      ...op.path.matchAll(/\{(\w+)\}/g),
    ].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    for (const [name, schema] of Object.entries((op.query ? jsonSchema(op.query).properties : undefined) ?? {})) {
      parameters.push({ name, in: "query", required: false, schema });
    }
    if (op.path.startsWith("/v1/") && !op.admin)
      parameters.push({ name: "tenant", in: "query", required: false, schema: { type: "string", pattern: NAME_PATTERN.source } });
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, unknown>)[op.method] = {
      summary: op.summary + (op.admin ? " (admin)" : ""),
      parameters,
      ...(op.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(op.body) } } } } : {}),
      ...(op.archive === "in"
        ? { requestBody: { required: true, content: { [ARCHIVE]: { schema: BINARY }, "application/octet-stream": { schema: BINARY } } } }
        : {}),
      responses: {
        ...(op.websocket
          ? { "101": { description: "Switching Protocols: the WebSocket session" } }
          : Object.fromEntries(
              successStatuses(op).map((status) => [status, { description: STATUS_TEXT[status], content: successContent(op) }]),
            )),
        ...(op.path.startsWith("/v1/") || op.path === "/metrics"
          ? {
              "401": problem("Unauthorized: no key, or one that is wrong, expired or revoked"),
              "429": problem("Rate limited: see Retry-After and the RateLimit headers"),
            }
          : {}),
        ...(op.body || op.archive === "in" ? { "413": problem("The body is larger than the route accepts") } : {}),
        default: problem("Problem"),
      },
      ...(op.path === "/healthz" ? { security: [] } : {}),
      ...(op.basicAuth ? { security: [{ registryLogin: [] }] } : {}),
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "minicloud API", version: VERSION },
    components: { securitySchemes: { apiKey: { type: "http", scheme: "bearer" }, registryLogin: { type: "http", scheme: "basic" } } },
    security: [{ apiKey: [] }],
    paths,
  };
}

export function openApiRoute() {
  const routes = new Hono<ApiEnv>();
  const document = openApiDocument();
  routes.get("/v1/openapi.json", (c) => c.json(document));
  return routes;
}
