import { createMiddleware } from "hono/factory";

/**
 * Strict by default: scripts and styles only from the dashboard's own files (no inline script or
 * style attribute), nothing from elsewhere (no fonts, CDNs or trackers), never framed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

export function securityHeaders() {
  return createMiddleware(async (c, next) => {
    await next();
    c.res.headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    c.res.headers.set("X-Frame-Options", "DENY");
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    // same-origin, not no-referrer: with no-referrer the browser sends `Origin: null` on our own form posts.
    c.res.headers.set("Referrer-Policy", "same-origin");
    // Pages hold a session's data: never kept by a shared cache or the back button after sign-out.
    if (!c.req.path.startsWith("/dashboard/assets/")) c.res.headers.set("Cache-Control", "no-store");
  });
}
