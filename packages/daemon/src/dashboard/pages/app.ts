import type { App, AppMetrics, LogLine, PlatformEvent, Release, Volume } from "@minicloud/shared";
import { html } from "hono/html";
import { appState } from "./apps.ts";
import { lineChart } from "./chart.ts";
import { bytes, stateBadge, when } from "./format.ts";
import { type Html, layout, type PageContext } from "./layout.ts";

export type { LogLine };

export interface AppPageData {
  app: App;
  releases: Release[];
  events: PlatformEvent[];
  metrics: AppMetrics | undefined;
  /** The tenant's volumes this app mounts (usage and snapshots). */
  volumes: Volume[];
  /** The chart range (1h or 1d) and the log search. */
  range: string;
  grep: string;
  logs: LogLine[];
  logError: string | undefined;
}

/** One app: state and actions, instances, charts, logs, releases, events, volumes, secret names, env. */
export function appPage(page: PageContext, data: AppPageData): Html {
  const { app } = data;
  const api = (action: string) => `/v1/apps/${encodeURIComponent(app.name)}${action}${page.scope}`;
  return layout(
    app.name,
    html`<p><a href="/dashboard${page.scope}">← Apps</a></p>
<section id="summary" data-live aria-labelledby="app-h">
<h1 id="app-h">${app.name} ${stateBadge(appState(app))}</h1>
<dl class="facts">
<dt>Release</dt><dd>v${app.release}</dd>
<dt>Image</dt><dd><code>${app.image}</code></dd>
<dt>Instances</dt><dd>${app.instances.filter((i) => i.state === "running").length}/${app.count} running</dd>
<dt>URL</dt><dd>${(app.httpsUrl ?? app.url) ? html`<a href="${app.httpsUrl ?? app.url}" rel="noreferrer">${app.httpsUrl ?? app.url}</a>` : "—"}</dd>
</dl>
</section>
<section aria-labelledby="actions-h" class="actions">
<h2 id="actions-h">Actions</h2>
<div class="buttons">
<form data-api="${api("/stop")}" data-method="POST"><button type="submit">Stop</button></form>
<form data-api="${api("/start")}" data-method="POST"><button type="submit">Start</button></form>
<form data-api="${api("/restart")}" data-method="POST"><button type="submit">Restart</button></form>
<form data-api="${api("/scale")}" data-method="POST" class="inline">
  <label for="scale-count">Instances</label>
  <input id="scale-count" name="count" type="number" min="0" max="50" value="${app.count}" data-number required>
  <button type="submit">Scale</button>
</form>
</div>
<form data-api="${api("")}" data-method="DELETE" data-confirm="${app.name}" data-after="/dashboard${page.scope}" class="danger">
  <label for="destroy-name">Type <strong>${app.name}</strong> to destroy the app</label>
  <input id="destroy-name" name="confirm" autocomplete="off" spellcheck="false" required>
  <button type="submit" class="danger">Destroy</button>
</form>
</section>
<section id="instances" data-live aria-labelledby="inst-h">
<h2 id="inst-h">Instances</h2>
${instanceTable(app)}
</section>
<section id="charts" data-live aria-labelledby="charts-h">
<h2 id="charts-h">Metrics <span class="muted">(last ${data.range === "1d" ? "day" : "hour"})</span></h2>
<p><a href="?range=1h${page.scope ? `&${page.scope.slice(1)}` : ""}">Hour</a> · <a href="?range=1d${page.scope ? `&${page.scope.slice(1)}` : ""}">Day</a></p>
${charts(data.metrics)}
</section>
<section aria-labelledby="logs-h">
<h2 id="logs-h">Logs</h2>
<form method="get" class="inline" role="search">
  ${page.scope ? html`<input type="hidden" name="tenant" value="${page.tenant}">` : ""}
  <label for="grep">Search</label>
  <input id="grep" name="grep" value="${data.grep}" placeholder="RE2 expression">
  <button type="submit">Search</button>
</form>
<div id="logs" data-live data-follow="${`/v1/apps/${encodeURIComponent(app.name)}/logs?follow=true&tail=0${data.grep ? `&grep=${encodeURIComponent(data.grep)}` : ""}${page.scope ? `&${page.scope.slice(1)}` : ""}`}">${logView(data)}</div>
</section>
<section id="releases" data-live aria-labelledby="rel-h">
<h2 id="rel-h">Releases</h2>
${releaseTable(data.releases, app, api("/rollback"))}
</section>
<section id="events" data-live aria-labelledby="ev-h">
<h2 id="ev-h">Events</h2>
${data.events.length === 0 ? html`<p class="muted">No events.</p>` : html`<ol class="timeline">${[...data.events].reverse().map((e) => html`<li>${when(e.time)} <span class="badge">${e.type}</span> ${e.message}</li>`)}</ol>`}
</section>
<section id="config" data-live aria-labelledby="cfg-h">
<h2 id="cfg-h">Volumes, secrets and env</h2>
<h3>Volumes</h3>
${app.volumes.length === 0 ? html`<p class="muted">None.</p>` : volumeList(app, data.volumes)}
<h3>Secrets <span class="muted">(names only)</span></h3>
${app.secretKeys.length === 0 ? html`<p class="muted">None.</p>` : html`<ul class="names">${app.secretKeys.map((k) => html`<li><code>${k}</code></li>`)}</ul>`}
<h3>Environment <span class="muted">(names)</span></h3>
${app.envKeys.length === 0 ? html`<p class="muted">None.</p>` : html`<ul class="names">${app.envKeys.map((k) => html`<li><code>${k}</code></li>`)}</ul>`}
</section>`,
    page,
  );
}

function volumeList(app: App, volumes: Volume[]): Html {
  return html`<ul>${app.volumes.map((mount) => {
    const volume = volumes.find((v) => v.name === mount.name);
    const usage = volume
      ? html` — ${volume.used === null ? "usage not known" : bytes(volume.used)} of ${bytes(volume.size)}, ${volume.snapshots} snapshot${volume.snapshots === 1 ? "" : "s"}${volume.lastSnapshotAt ? html` (last ${when(volume.lastSnapshotAt)})` : ""}`
      : "";
    return html`<li><code>${mount.name}</code> at <code>${mount.path}</code>${usage}</li>`;
  })}</ul>`;
}

function instanceTable(app: App): Html {
  if (app.instances.length === 0) return html`<p class="muted">No instances.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Instance</th><th scope="col">State</th><th scope="col">Health</th><th scope="col">Restarts</th><th scope="col">Started</th><th scope="col">CPU</th><th scope="col">Memory</th></tr></thead>
<tbody>${app.instances.map(
    (
      i,
    ) => html`<tr><th scope="row"><code>${i.id}</code></th><td>${stateBadge(i.state)}</td><td>${i.health}</td><td>${i.restarts}</td><td>${when(i.startedAt)}</td>
<td>${i.cpuPercent === null ? "—" : `${i.cpuPercent.toFixed(1)}%`}</td><td>${i.memoryBytes === null ? "—" : bytes(i.memoryBytes)}</td></tr>`,
  )}</tbody></table></div>`;
}

function charts(metrics: AppMetrics | undefined): Html {
  if (!metrics) return html`<p class="muted">No metrics history.</p>`;
  const series = (pick: (p: AppMetrics["points"][number]) => number | null) => metrics.points.map(pick);
  const perSecond = (n: number) => `${bytes(n)}/s`;
  return html`<div class="charts">
${lineChart(
  "CPU",
  series((p) => p.cpuPercent),
  (n) => `${n.toFixed(1)}%`,
)}
${lineChart(
  "Memory",
  series((p) => p.memoryBytes),
  bytes,
)}
${lineChart(
  "Network in",
  series((p) => p.networkRxBytesPerSecond),
  perSecond,
)}
${lineChart(
  "HTTP requests",
  series((p) => p.requestsPerSecond),
  (n) => `${n.toFixed(2)}/s`,
)}
</div>`;
}

function logView(data: AppPageData): Html {
  if (data.logError) return html`<p class="error" role="alert">${data.logError}</p>`;
  if (data.logs.length === 0) return html`<p class="muted">No log lines${data.grep ? " match" : ""}.</p>`;
  return html`<pre class="logs" tabindex="0" aria-label="Log lines">${data.logs.map((l) => html`<span class="log-line"><span class="muted">${l.ts.slice(11, 19)} ${l.instance}</span> ${l.line}</span>\n`)}</pre>`;
}

function releaseTable(releases: Release[], app: App, rollbackPath: string): Html {
  if (releases.length === 0) return html`<p class="muted">No releases.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Release</th><th scope="col">Status</th><th scope="col">Image</th><th scope="col">Created</th><th scope="col">Note</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead>
<tbody>${[...releases].reverse().map(
    (
      r,
    ) => html`<tr><th scope="row">v${r.version}</th><td>${stateBadge(r.status)}</td><td><code>${r.image}</code></td><td>${when(r.createdAt)}</td>
<td>${r.rollbackOf ? `rollback to v${r.rollbackOf}` : (r.reason ?? "")}</td>
<td>${r.version !== app.release && r.status !== "failed" ? html`<form data-api="${rollbackPath}" data-method="POST"><input type="hidden" name="version" value="${r.version}" data-number><button type="submit">Roll back to v${r.version}</button></form>` : ""}</td></tr>`,
  )}</tbody></table></div>`;
}
