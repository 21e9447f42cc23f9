import { ApiError, checkName, type DaemonSettings } from "@minicloud/shared";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import type { Logger } from "pino";
import type { Builds } from "../apps/builds.ts";
import type { AppService } from "../apps/service.ts";
import type { AuditLog } from "../audit/log.ts";
import { dashboardRoutes, type Sessions } from "../dashboard/index.ts";
import type { DomainService } from "../domains/service.ts";
import type { EventBus } from "../events/bus.ts";
import type { KeyService } from "../keys/service.ts";
import type { DaemonMetrics } from "../metrics/daemon-metrics.ts";
import type { MetricsService } from "../metrics/service.ts";
import type { Networking } from "../networking/networking.ts";
import type { Runtime } from "../runtime/runtime.ts";
import type { SecretService } from "../secrets/service.ts";
import type { Store } from "../store/store.ts";
import type { TenantService } from "../tenants/service.ts";
import type { Storage } from "../volumes/storage.ts";
import type { WebhookService } from "../webhooks/service.ts";
import type { ApiEnv } from "./env.ts";
import { audit } from "./middleware/audit.ts";
import { auth } from "./middleware/auth.ts";
import type { AuthFailures } from "./middleware/auth-failures.ts";
import { type RateLimiter, type RateLimitOptions, rateLimit } from "./middleware/rate-limit.ts";
import { requestMetrics } from "./middleware/request-metrics.ts";
import { streamSlots } from "./middleware/stream-slots.ts";
import { problemResponse, toApiError } from "./problem.ts";
import { accountRoutes } from "./routes/account.ts";
import { appRoutes } from "./routes/apps.ts";
import { domainRoutes } from "./routes/domains.ts";
import { eventRoutes } from "./routes/events.ts";
import { type ImageRouteDeps, imageRoutes } from "./routes/images.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { methodsFor, openApiRoute } from "./routes/openapi.ts";
import { type RegistryRouteDeps, registryRoutes } from "./routes/registry.ts";
import { secretRoutes } from "./routes/secrets.ts";
import { healthRoute, settingsRoute, systemRoutes } from "./routes/system.ts";
import { tenantRoutes } from "./routes/tenants.ts";
import { volumeRoutes } from "./routes/volumes.ts";
import { webhookRoutes } from "./routes/webhooks.ts";
import { tenantScope } from "./scope.ts";
import type { StreamLimits } from "./stream-limits.ts";

export const MAX_BODY_BYTES = 1024 * 1024;
const BODYLESS_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** Build contexts and volume imports stream with limits of their own (apps/builds.ts, volumes/archive.ts). */
const STREAMED_BODY = /^\/v1\/(apps\/[^/]+\/builds|volumes\/[^/]+\/import)$/;

export interface ApiDeps {
  store: Store;
  runtime: Runtime;
  apps: AppService;
  tenants: TenantService;
  keys: KeyService;
  auditLog: AuditLog;
  networking: Networking;
  domains: DomainService;
  storage: Storage;
  secrets: SecretService;
  webhooks: WebhookService;
  events: EventBus;
  builds: Builds;
  /** Images (pulls, list, prune, published) and registry logins. */
  images: Omit<ImageRouteDeps, "tenantOf">;
  /** Failed authentications per client address; shared with the WebSocket upgrades. */
  authFailures?: AuthFailures;
  /** Shared with the WebSocket upgrades when a limiter is given. */
  rateLimit: RateLimitOptions | RateLimiter;
  /** Open streams per key and tenant, and the fd budget; shared with the WebSocket upgrades. */
  streamLimits?: StreamLimits;
  /** What GET /v1/system/settings shows. */
  settings: DaemonSettings;
  /** Apps' metrics history and exposition; the daemon's own metrics (GET /metrics). */
  metrics: MetricsService;
  daemonMetrics: DaemonMetrics;
  /** The built-in registry: its token and notification routes, and its status in /healthz. */
  registry: RegistryRouteDeps;
  /** The web dashboard's sessions and the data dir (its disk use): /dashboard is served when given (dashboard/). */
  dashboard?: { sessions: Sessions; dataDir: string };
  logger: Logger;
}

/** The whole HTTP API; served unchanged on the Unix socket and on TCP (the transport is a binding). */
export function createApi(deps: ApiDeps) {
  const api = new Hono<ApiEnv>();
  api.use(requestId());
  api.use(requestMetrics(deps.daemonMetrics));
  // TRACE, CONNECT and unknown methods: the method is wrong, not the path (405, not 404).
  api.use(async (c, next) => {
    if (KNOWN_METHODS.has(c.req.method)) return next();
    const error = new ApiError("method_not_allowed", `${c.req.method} is not a method this API answers; see GET /v1/openapi.json`);
    return problemResponse(c, error, { Allow: [...KNOWN_METHODS].join(", ") });
  });
  api.onError((error, c) => {
    const apiError = toApiError(error);
    if (apiError.code === "internal") deps.logger.error({ err: error, requestId: c.get("requestId") }, "request failed");
    return problemResponse(c, apiError);
  });
  api.notFound((c) => {
    // A path the API has, asked with a method it does not answer there: 405 naming the ones it does.
    const allowed = methodsFor(c.req.path);
    if (allowed.length > 0) {
      const error = new ApiError("method_not_allowed", `${c.req.path} answers ${allowed.join(", ")}, not ${c.req.method}`);
      return problemResponse(c, error, { Allow: allowed.join(", ") });
    }
    return problemResponse(c, new ApiError("not_found", `no route ${c.req.method} ${c.req.path} — see GET /v1/openapi.json`));
  });

  api.route("/", healthRoute(deps.runtime, deps.networking, deps.registry.registry));
  api.route("/", openApiRoute());
  // Before the API's Bearer auth: the registry's calls authenticate their own way.
  api.route("/", registryRoutes(deps.registry));
  // Before the API's Bearer auth: the dashboard's pages authenticate by session cookie, then call the API.
  if (deps.dashboard) {
    const { store, auditLog, authFailures, logger } = deps;
    const dispatch = (request: Request, env: ApiEnv["Bindings"]) => api.fetch(request, env);
    api.route("/", dashboardRoutes({ ...deps.dashboard, store, auditLog, authFailures, dispatch, logger }));
  }
  api.use("/v1/*", audit(deps.auditLog, deps.authFailures));
  api.use("/v1/*", auth(deps.store, deps.authFailures));
  // The daemon's own metrics take the same keys (admin only: see routes/metrics.ts).
  api.use("/metrics", audit(deps.auditLog, deps.authFailures), auth(deps.store, deps.authFailures));
  const jsonBodyLimit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => problemResponse(c, new ApiError("payload_too_large", `request bodies are limited to ${MAX_BODY_BYTES / 1024} KiB`)),
  });
  // Build contexts are streamed to the engine with their own, larger limit (apps/builds.ts). Reads
  // carry no body, and asking for one makes @hono/node-server build a full web Request per call.
  api.use("/v1/*", (c, next) =>
    BODYLESS_METHODS.has(c.req.method) || (c.req.method === "POST" && STREAMED_BODY.test(c.req.path)) ? next() : jsonBodyLimit(c, next),
  );
  api.use("/v1/*", rateLimit(deps.rateLimit));
  if (deps.streamLimits) api.use("/v1/*", streamSlots(deps.streamLimits));
  // ?tenant names a tenant on every route that takes it; a value that cannot be one is bad input
  // everywhere, also where the caller's role makes the route ignore it.
  api.use("/v1/*", (c, next) => {
    const tenant = c.req.query("tenant");
    const problem = tenant === undefined ? undefined : checkName(tenant);
    if (problem) throw new ApiError("invalid_input", `tenant: ${problem}`, [{ field: "tenant", message: problem }]);
    return next();
  });

  const tenantOf = tenantScope(deps.tenants);
  api.route("/", systemRoutes(deps.networking));
  api.route("/", settingsRoute(deps.settings));
  api.route("/", appRoutes(deps.apps, deps.builds, tenantOf));
  api.route("/", tenantRoutes(deps.tenants));
  api.route("/", domainRoutes(deps.domains, tenantOf));
  api.route("/", secretRoutes(deps.secrets, tenantOf));
  api.route("/", webhookRoutes(deps.webhooks, tenantOf));
  api.route("/", imageRoutes({ ...deps.images, tenantOf }));
  api.route("/", volumeRoutes({ ...deps.storage, tenantOf }));
  api.route("/", eventRoutes(deps.events, deps.tenants));
  api.route("/", metricsRoutes({ store: deps.store, metrics: deps.metrics, daemonMetrics: deps.daemonMetrics, tenantOf }));
  api.route("/", accountRoutes({ keys: deps.keys, tenants: deps.tenants, audit: deps.auditLog, tenantOf }));
  return api;
}
