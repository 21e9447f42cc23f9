import { html } from "hono/html";
import type { Principal } from "../../api/env.ts";

export type Html = ReturnType<typeof html>;

export interface PageContext {
  principal: Principal;
  csrf: string;
  /** The tenant the page shows (an admin may pick one with ?tenant=). */
  tenant: string;
  /** `?tenant=…` for an admin looking at another tenant, else empty: kept on links and actions. */
  scope: string;
}

/**
 * The page frame. No inline script or style anywhere (the CSP forbids them): behaviour is
 * /dashboard/assets/app.js, looks are app.css; the CSRF token travels in a meta tag.
 */
export function layout(title: string, body: Html, page?: PageContext): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${page ? html`<meta name="csrf-token" content="${page.csrf}">` : ""}
<title>${title} · minicloud</title>
<link rel="stylesheet" href="/dashboard/assets/app.css">
<script src="/dashboard/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/dashboard${page?.scope ?? ""}">minicloud</a>
  ${page ? nav(page) : ""}
</header>
<div id="connection" class="banner" role="status" aria-live="polite" hidden></div>
<div id="notice" class="notice" role="status" aria-live="polite"></div>
<main id="main">${body}</main>
</body>
</html>`;
}

function nav(page: PageContext): Html {
  const who = page.principal.role === "admin" ? "admin" : `tenant ${page.principal.tenant}`;
  return html`<nav aria-label="Main">
  <a href="/dashboard${page.scope}">Apps</a>
  ${page.principal.role === "admin" ? html`<a href="/dashboard/admin">Admin</a>` : ""}
  <span class="who">${who}</span>
  <button type="button" id="sign-out" class="link">Sign out</button>
</nav>`;
}
