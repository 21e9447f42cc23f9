import type { App, Quota } from "@minicloud/shared";
import { html } from "hono/html";
import { bytes, stateBadge, usageBar } from "./format.ts";
import { type Html, layout, type PageContext } from "./layout.ts";

/** The tenant view: every app with its state, and the tenant's usage against its quota. */
export function appsPage(page: PageContext, apps: App[], quota: Quota): Html {
  const { limits, usage } = quota;
  return layout(
    `Apps of ${page.tenant}`,
    html`<h1>Apps <span class="muted">of ${page.tenant}</span></h1>
<section aria-labelledby="usage-h" id="usage" data-live>
<h2 id="usage-h">Usage</h2>
<div class="usage-grid">
${usageBar("Apps", usage.apps ?? apps.length, limits.maxApps)}
${usageBar("Instances", usage.instances, limits.maxInstances)}
${usageBar("CPUs", usage.cpus, limits.maxCpus)}
${usageBar("Memory", usage.memory, limits.maxMemory, bytes)}
${usageBar("Storage", usage.storage, limits.maxStorage, bytes)}
</div>
</section>
<section aria-labelledby="apps-h" id="apps" data-live>
<h2 id="apps-h">${apps.length} app${apps.length === 1 ? "" : "s"}</h2>
${apps.length === 0 ? html`<p class="muted">No apps yet: <code>mc deploy</code> one.</p>` : appTable(page, apps)}
</section>`,
    page,
  );
}

function appTable(page: PageContext, apps: App[]): Html {
  return html`<div class="table-wrap"><table class="apps">
<thead><tr><th scope="col">App</th><th scope="col">State</th><th scope="col">Instances</th><th scope="col">Health</th><th scope="col">Restarts</th><th scope="col">Release</th><th scope="col">URL</th></tr></thead>
<tbody>
${apps.map((app) => appRow(page, app))}
</tbody></table></div>`;
}

function appRow(page: PageContext, app: App): Html {
  const running = app.instances.filter((i) => i.state === "running").length;
  const healthy = app.instances.filter((i) => i.health === "healthy").length;
  const restarts = app.instances.reduce((sum, i) => sum + i.restarts, 0);
  const url = app.httpsUrl ?? app.url;
  return html`<tr data-app="${app.name}">
<th scope="row"><a href="/dashboard/apps/${encodeURIComponent(app.name)}${page.scope}">${app.name}</a></th>
<td>${stateBadge(appState(app))}</td>
<td>${running}/${app.count}</td>
<td>${health(app, healthy)}</td>
<td>${restarts}</td>
<td>v${app.release}</td>
<td>${url ? html`<a href="${url}" rel="noreferrer">${url}</a>` : "—"}</td>
</tr>`;
}

/** The listing comes from the daemon's cache, where health may not be known yet: then a dash, not "0 healthy". */
function health(app: App, healthy: number): string {
  const known = app.instances.filter((i) => i.health !== "unknown").length;
  if (known === 0) return "—";
  return `${healthy}/${app.instances.length} healthy`;
}

/** One word for an app: stopped on purpose, or how its instances are doing. */
export function appState(app: App): string {
  if (app.desired === "stopped") return "stopped";
  if (app.operation) return app.operation === "deploy" ? "deploying" : "scaling";
  if (app.instances.some((i) => i.state === "crash-looping")) return "crash-looping";
  const running = app.instances.filter((i) => i.state === "running").length;
  if (app.count > 0 && running === app.count) return "running";
  return running > 0 ? "degraded" : app.count === 0 ? "scaled-to-zero" : "starting";
}
