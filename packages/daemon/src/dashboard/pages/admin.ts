import { statfs } from "node:fs/promises";
import os from "node:os";
import type { AuditEntry, Component, Tenant } from "@minicloud/shared";
import { html } from "hono/html";
import { bytes, stateBadge, usageBar, when } from "./format.ts";
import { type Html, layout, type PageContext } from "./layout.ts";

export interface AuditFilter {
  tenant: string;
  action: string;
  outcome: "" | "ok" | "failed";
  /** Only entries at or after this ISO time (or date). */
  since: string;
}

export interface AdminPageData {
  tenants: Tenant[];
  components: Component[];
  engine: string;
  audit: AuditEntry[];
  filter: AuditFilter;
  host: HostCapacity;
}

/** The host's capacity and use: what the machine has, against what tenants reserve and what is busy. */
export interface HostCapacity {
  cpus: number;
  load1: number;
  reservedCpus: number;
  memory: number;
  memoryUsed: number;
  reservedMemory: number;
  disk: number;
  diskUsed: number;
  instances: number;
}

export async function hostCapacity(dataDir: string, tenants: Tenant[]): Promise<HostCapacity> {
  const disk = await statfs(dataDir).catch(() => undefined);
  const sum = (pick: (t: Tenant) => number) => tenants.reduce((total, t) => total + pick(t), 0);
  return {
    cpus: os.availableParallelism(),
    load1: os.loadavg()[0] ?? 0,
    reservedCpus: sum((t) => t.usage.cpus),
    memory: os.totalmem(),
    memoryUsed: os.totalmem() - os.freemem(),
    reservedMemory: sum((t) => t.usage.memory),
    disk: disk ? disk.blocks * disk.bsize : 0,
    diskUsed: disk ? (disk.blocks - disk.bfree) * disk.bsize : 0,
    instances: sum((t) => t.usage.instances),
  };
}

/** The admin view: tenants against their quotas, the supervised components, the audit log. */
export function adminPage(page: PageContext, data: AdminPageData): Html {
  const { filter } = data;
  return layout(
    "Admin",
    html`<h1>Admin</h1>
<section id="components" data-live aria-labelledby="comp-h">
<h2 id="comp-h">Components</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Component</th><th scope="col">State</th><th scope="col">Restarts</th><th scope="col">Last exit</th></tr></thead>
<tbody>
<tr><th scope="row">Docker engine</th><td>${stateBadge(data.engine === "up" ? "running" : "stopped")}</td><td>—</td><td>—</td></tr>
${data.components.map((c) => html`<tr><th scope="row">${c.name}</th><td>${stateBadge(c.state)}</td><td>${c.restarts}</td><td>${c.lastExit ? when(c.lastExit.at) : "—"}</td></tr>`)}
</tbody></table></div>
</section>
<section id="host" data-live aria-labelledby="host-h">
<h2 id="host-h">Host</h2>
<div class="usage-grid">
${usageBar("CPU load", data.host.load1, data.host.cpus, (n) => n.toFixed(2))}
${usageBar("CPUs reserved", data.host.reservedCpus, data.host.cpus)}
${usageBar("Memory in use", data.host.memoryUsed, data.host.memory, bytes)}
${usageBar("Memory reserved", data.host.reservedMemory, data.host.memory, bytes)}
${usageBar("Disk (data dir)", data.host.diskUsed, data.host.disk, bytes)}
</div>
<p class="muted">${data.host.instances} instances across ${data.tenants.length} tenants.</p>
</section>
<section id="tenants" data-live aria-labelledby="ten-h">
<h2 id="ten-h">Tenants</h2>
<div class="tenant-grid">
${data.tenants.map(
  (t) => html`<article class="card"><h3><a href="/dashboard?tenant=${encodeURIComponent(t.name)}">${t.name}</a></h3>
<p class="muted">${t.apps} apps · ${t.keys} keys</p>
${usageBar("Instances", t.usage.instances, t.limits.maxInstances)}
${usageBar("CPUs", t.usage.cpus, t.limits.maxCpus)}
${usageBar("Memory", t.usage.memory, t.limits.maxMemory, bytes)}
${usageBar("Storage", t.usage.storage, t.limits.maxStorage, bytes)}
</article>`,
)}
</div>
</section>
<section aria-labelledby="audit-h">
<h2 id="audit-h">Audit log</h2>
<form method="get" class="filters" role="search">
  <label>Tenant <input name="tenant" value="${filter.tenant}"></label>
  <label>Action <input name="action" value="${filter.action}" placeholder="POST /v1/apps"></label>
  <label>Outcome <select name="outcome">
    <option value="" ${filter.outcome === "" ? "selected" : ""}>any</option>
    <option value="ok" ${filter.outcome === "ok" ? "selected" : ""}>succeeded</option>
    <option value="failed" ${filter.outcome === "failed" ? "selected" : ""}>failed</option>
  </select></label>
  <label>Since <input name="since" type="datetime-local" value="${filter.since}"></label>
  <button type="submit">Filter</button>
</form>
<form data-api="/v1/audit/verify" data-method="GET" data-show="verify-result"><button type="submit">Verify chain</button></form>
<p id="verify-result" role="status" aria-live="polite"></p>
<div id="audit" data-live>${auditTable(data.audit)}</div>
</section>`,
    page,
  );
}

function auditTable(entries: AuditEntry[]): Html {
  if (entries.length === 0) return html`<p class="muted">No entries match.</p>`;
  return html`<div class="table-wrap"><table class="audit">
<thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Tenant</th><th scope="col">Outcome</th></tr></thead>
<tbody>${[...entries].reverse().map(
    (
      e,
    ) => html`<tr><td>${e.seq}</td><td>${when(e.ts)}</td><td>${e.actor.role}${e.actor.keyId ? html` <code>${e.actor.keyId}</code>` : ""}</td>
<td><code>${e.action}</code></td><td>${e.tenant ?? "—"}</td><td>${e.outcome.status}${e.outcome.code ? ` ${e.outcome.code}` : ""}${e.count ? ` ×${e.count}` : ""}</td></tr>`,
  )}</tbody></table></div>`;
}

/** The audit filters from the page's query; the log itself is read through GET /v1/audit. */
export function matchesAudit(entry: AuditEntry, filter: AuditFilter): boolean {
  if (filter.tenant && entry.tenant !== filter.tenant) return false;
  if (filter.action && !entry.action.includes(filter.action)) return false;
  if (filter.outcome === "ok" && entry.outcome.status >= 400) return false;
  if (filter.outcome === "failed" && entry.outcome.status < 400) return false;
  if (filter.since) {
    const since = Date.parse(filter.since.length <= 16 ? `${filter.since}Z` : filter.since);
    if (!Number.isNaN(since) && Date.parse(entry.ts) < since) return false;
  }
  return true;
}
