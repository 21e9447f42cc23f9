import { readFileSync } from "node:fs";
import {
  ApiError,
  type App,
  type AppMetrics,
  type AuditEntry,
  type Health,
  type PlatformEvent,
  type Quota,
  type Release,
  type Tenant,
  type Volume,
} from "@minicloud/shared";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, setCookie } from "hono/cookie";
import { html } from "hono/html";
import type { Logger } from "pino";
import type { ApiEnv, Principal } from "../api/env.ts";
import { clientAddress, principalOf } from "../api/middleware/auth.ts";
import type { AuthFailures } from "../api/middleware/auth-failures.ts";
import { problemResponse, toApiError } from "../api/problem.ts";
import type { AuditLog, AuditRecord } from "../audit/log.ts";
import { presentedKeyId } from "../keys/api-keys.ts";
import type { Store } from "../store/store.ts";
import { DEFAULT_TENANT } from "../tenants/service.ts";
import { callApi, type Dispatch, readJson, readLines } from "./api-call.ts";
import { type AuditFilter, adminPage, hostCapacity, matchesAudit } from "./pages/admin.ts";
import { type AppPageData, appPage, type LogLine } from "./pages/app.ts";
import { appsPage } from "./pages/apps.ts";
import { type Html, layout, type PageContext } from "./pages/layout.ts";
import { loginPage } from "./pages/login.ts";
import { securityHeaders } from "./security-headers.ts";
import { END_MESSAGES, type EndReason, SESSION_COOKIE, SessionEnded, type SignedIn, signedIn } from "./session-auth.ts";
import { csrfMatches, SESSION_TTL_MS, type Sessions } from "./sessions.ts";

export interface DashboardDeps {
  store: Store;
  sessions: Sessions;
  auditLog: AuditLog;
  authFailures?: AuthFailures | undefined;
  /** The API's fetch, bound late (the dashboard is part of the API it calls). */
  dispatch: Dispatch;
  /** Where the host's disk use is measured (the data dir's file system). */
  dataDir: string;
  logger: Logger;
}

/** The signed-in caller of each request, found by the session middleware below. */
const callers = new WeakMap<Request, SignedIn>();
function caller(c: Context<ApiEnv>): SignedIn {
  const found = callers.get(c.req.raw);
  if (!found) throw new SessionEnded("required");
  return found;
}

const ASSETS = new URL("../../assets/dashboard/", import.meta.url);
const asset = (name: string) => readFileSync(new URL(name, ASSETS));
const STATIC: Record<string, { body: Buffer; type: string }> = {
  "app.js": { body: asset("app.js"), type: "text/javascript; charset=utf-8" },
  "app.css": { body: asset("app.css"), type: "text/css; charset=utf-8" },
};
const READS = new Set(["GET", "HEAD"]);
/** Lines of the log tail a page shows. */
const LOG_TAIL = 200;

/**
 * The web dashboard under /dashboard, on the TCP listener only: server-rendered pages (hono/html,
 * escaped by default), one static script, and `/dashboard/api/*`, which hands a signed-in session's
 * calls to the API's own handlers.
 */
export function dashboardRoutes(deps: DashboardDeps) {
  const routes = new Hono<ApiEnv>();
  routes.use("/dashboard/*", async (c, next) => {
    if (c.env.transport !== "tcp") throw new ApiError("not_found", "the dashboard is served on mcd's TCP listener");
    await next();
  });
  routes.use("/dashboard", securityHeaders());
  routes.use("/dashboard/*", securityHeaders());
  // Cross-site posts are refused by their Origin before anything else (the session's CSRF token is checked too).
  routes.use("/dashboard/*", async (c, next) => {
    if (!READS.has(c.req.method) && !sameSite(c)) {
      return problemResponse(c, new ApiError("forbidden", "a cross-site request to the dashboard is refused"));
    }
    await next();
  });
  routes.use("/dashboard/*", bodyLimit({ maxSize: 64 * 1024 }));

  routes.get("/dashboard/assets/:file", (c) => {
    const file = STATIC[c.req.param("file")];
    if (!file) throw new ApiError("not_found", "no such asset");
    return c.body(new Uint8Array(file.body), 200, { "Content-Type": file.type, "Cache-Control": "no-cache" });
  });

  routes.get("/dashboard/login", (c) => {
    const reason = c.req.query("ended") as EndReason | undefined;
    const message = reason && reason in END_MESSAGES ? END_MESSAGES[reason] : undefined;
    return c.html(loginPage(message, reason !== undefined && reason !== "signed-out"));
  });

  routes.post("/dashboard/login", async (c) => {
    const form = await c.req.parseBody();
    const key = typeof form.key === "string" ? form.key.trim() : "";
    const authorization = `Bearer ${key}`;
    let principal: Principal;
    try {
      principal = principalOf(deps.store, "tcp", authorization);
    } catch (error) {
      const address = clientAddress(c.env.incoming);
      const refused = deps.authFailures?.charge(address);
      const record: AuditRecord = {
        requestId: c.get("requestId"),
        actor: { role: "anonymous", tenant: null, keyId: presentedKeyId(authorization), transport: "tcp" },
        action: "POST /dashboard/login",
        tenant: null,
        target: "dashboard/login",
        outcome: refused ? { status: 429, code: "rate_limited" } : { status: 401, code: "unauthorized" },
      };
      if (deps.authFailures) await deps.authFailures.record(address, record);
      else await deps.auditLog.append(record);
      const problem = refused?.error ?? toApiError(error);
      return c.html(loginPage(problem.message, true), refused ? 429 : 401);
    }
    if (!principal.keyId) throw new ApiError("unauthorized", "sign in with an API key");
    const { id } = await deps.sessions.create(principal.keyId);
    setCookie(c, SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: "Strict",
      secure: isTls(c),
      path: "/dashboard",
      maxAge: SESSION_TTL_MS / 1000,
    });
    await deps.auditLog.append(sessionRecord(c, principal, "login", 303));
    return c.redirect(principal.role === "admin" ? "/dashboard/admin" : "/dashboard", 303);
  });

  // Everything below needs a live session; pages send the browser to sign in, API calls get 401.
  routes.use("/dashboard/*", async (c, next) => {
    try {
      callers.set(c.req.raw, await signedIn(deps.store, deps.sessions, c.req.header("cookie")));
    } catch (error) {
      if (!(error instanceof SessionEnded)) throw error;
      deleteCookie(c, SESSION_COOKIE, { path: "/dashboard" });
      if (c.req.path.startsWith("/dashboard/api/") || !READS.has(c.req.method)) return problemResponse(c, error);
      return c.redirect(`/dashboard/login?ended=${error.reason}`, 303);
    }
    // Every state-changing call carries the session's token in a header a cross-site form cannot set.
    if (!READS.has(c.req.method) && !csrfMatches(caller(c).session, c.req.header("x-csrf-token"))) {
      return problemResponse(c, new ApiError("forbidden", "missing or wrong CSRF token: reload the page"));
    }
    await next();
  });
  routes.use("/dashboard", async (c, next) => {
    try {
      callers.set(c.req.raw, await signedIn(deps.store, deps.sessions, c.req.header("cookie")));
    } catch (error) {
      if (!(error instanceof SessionEnded)) throw error;
      return c.redirect(`/dashboard/login?ended=${error.reason}`, 303);
    }
    await next();
  });

  routes.post("/dashboard/logout", async (c) => {
    const { id, principal } = caller(c);
    await deps.sessions.end(id);
    await deps.auditLog.append(sessionRecord(c, principal, "logout", 200));
    deleteCookie(c, SESSION_COOKIE, { path: "/dashboard" });
    return c.json({ ok: true as const });
  });

  // The page's calls: the API's handlers with the session's principal, answers passed through as they are.
  routes.all("/dashboard/api/*", async (c) => {
    const path = c.req.url.slice(c.req.url.indexOf("/dashboard/api/") + "/dashboard/api".length);
    if (!path.startsWith("/v1/")) throw new ApiError("not_found", "the dashboard's API calls are under /dashboard/api/v1/");
    const body = READS.has(c.req.method) ? undefined : await c.req.text();
    return callApi(deps.dispatch, c.env, caller(c).principal, c.req.method, path, body || undefined);
  });

  routes.get("/dashboard", async (c) => {
    const page = pageContext(c);
    const scope = page.scope ? `?${page.scope.slice(1)}` : "";
    const [apps, quota] = await Promise.all([
      readJson<{ apps: App[] }>(deps.dispatch, c.env, page.principal, `/v1/apps${scope}`),
      readJson<Quota>(deps.dispatch, c.env, page.principal, `/v1/quota${scope}`, false),
    ]);
    return c.html(appsPage(page, apps.apps, quota));
  });

  routes.get("/dashboard/apps/:name", async (c) => {
    const page = pageContext(c);
    const name = encodeURIComponent(c.req.param("name"));
    const principal = page.principal;
    const and = page.scope ? `&${page.scope.slice(1)}` : "";
    const range = c.req.query("range") === "1d" ? "1d" : "1h";
    const grep = c.req.query("grep") ?? "";
    const app = await readJson<App>(deps.dispatch, c.env, principal, `/v1/apps/${name}${page.scope}`);
    const logQuery = `tail=${LOG_TAIL}${grep ? `&grep=${encodeURIComponent(grep)}` : ""}${and}`;
    const [releases, events, metrics, volumes, logs] = await Promise.all([
      readJson<{ releases: Release[] }>(deps.dispatch, c.env, principal, `/v1/apps/${name}/releases${page.scope}`, false),
      readJson<{ events: PlatformEvent[] }>(deps.dispatch, c.env, principal, `/v1/events?app=${name}&limit=30${and}`, false),
      readJson<AppMetrics>(deps.dispatch, c.env, principal, `/v1/apps/${name}/metrics?since=${range}${and}`, false).catch(() => undefined),
      app.volumes.length === 0
        ? { volumes: [] }
        : readJson<{ volumes: Volume[] }>(deps.dispatch, c.env, principal, `/v1/volumes${page.scope}`, false).catch(() => ({
            volumes: [],
          })),
      readLines<LogLine>(deps.dispatch, c.env, principal, `/v1/apps/${name}/logs?${logQuery}`, false).then(
        (lines) => ({ lines: lines.slice(-LOG_TAIL), error: undefined }),
        (error: unknown) => ({ lines: [], error: toApiError(error).message }),
      ),
    ]);
    const data: AppPageData = {
      app,
      releases: releases.releases,
      events: events.events,
      metrics,
      volumes: volumes.volumes,
      range,
      grep,
      logs: logs.lines,
      logError: logs.error,
    };
    return c.html(appPage(page, data));
  });

  routes.get("/dashboard/admin", async (c) => {
    const page = pageContext(c);
    if (page.principal.role !== "admin") throw new ApiError("forbidden", "the admin view needs an admin key");
    const outcome = c.req.query("outcome");
    const filter: AuditFilter = {
      tenant: c.req.query("tenant") ?? "",
      action: c.req.query("action") ?? "",
      outcome: outcome === "ok" || outcome === "failed" ? outcome : "",
      since: c.req.query("since") ?? "",
    };
    const [tenants, health, audit] = await Promise.all([
      readJson<{ tenants: Tenant[] }>(deps.dispatch, c.env, page.principal, "/v1/tenants"),
      readJson<Health>(deps.dispatch, c.env, page.principal, "/healthz", false),
      readLines<AuditEntry>(deps.dispatch, c.env, page.principal, "/v1/audit?tail=2000", false),
    ]);
    const components = Object.values(health.components);
    const entries = audit.filter((entry) => matchesAudit(entry, filter)).slice(-200);
    const host = await hostCapacity(deps.dataDir, tenants.tenants);
    const data = { tenants: tenants.tenants, components, engine: health.engine, audit: entries, filter, host };
    return c.html(adminPage({ ...page, scope: "" }, data));
  });

  // Pages answer errors as a page (a tenant opening the admin view or another tenant's app: 403/404).
  routes.onError((error, c) => {
    const problem = toApiError(error);
    if (problem.code === "internal") deps.logger.error({ err: error }, "dashboard request failed");
    if (c.req.path.startsWith("/dashboard/api/") || !c.req.path.startsWith("/dashboard")) return problemResponse(c, problem);
    return c.html(errorPage(problem), problem.status as 400);
  });
  return routes;
}

/** A sign-in or sign-out, as the audit log records it. */
function sessionRecord(c: Context<ApiEnv>, principal: Principal, what: "login" | "logout", status: number): AuditRecord {
  return {
    requestId: c.get("requestId"),
    actor: { role: principal.role, tenant: principal.tenant, keyId: principal.keyId, transport: "tcp" },
    action: `POST /dashboard/${what}`,
    tenant: principal.tenant,
    target: `dashboard/${what}`,
    outcome: { status, code: null },
  };
}

function pageContext(c: Context<ApiEnv>): PageContext {
  const { principal, session } = caller(c);
  const requested = principal.role === "admin" ? c.req.query("tenant") : undefined;
  const tenant = requested ?? principal.tenant;
  const scope = principal.role === "admin" && tenant !== DEFAULT_TENANT ? `?tenant=${encodeURIComponent(tenant)}` : "";
  return { principal, csrf: session.csrf, tenant, scope };
}

function errorPage(problem: ApiError): Html {
  return layout(
    "Error",
    html`<h1>${problem.status === 403 ? "Not allowed" : problem.status === 404 ? "Not found" : "Something went wrong"}</h1>
<p class="error" role="alert">${problem.message} <span class="muted">(${problem.code})</span></p>
<p><a href="/dashboard">Back to your apps</a></p>`,
  );
}

/** The browser says where a request comes from: our own origin only (or, without Origin, not cross-site). */
function sameSite(c: Context<ApiEnv>): boolean {
  const origin = c.req.header("origin");
  if (origin) return origin === new URL(c.req.url).origin;
  const site = c.req.header("sec-fetch-site");
  return site === undefined || site === "same-origin" || site === "none";
}

function isTls(c: Context<ApiEnv>): boolean {
  return Boolean((c.env.incoming?.socket as { encrypted?: boolean } | undefined)?.encrypted);
}
