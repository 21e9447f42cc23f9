import { formatBytes } from "@minicloud/shared";
import { html } from "hono/html";
import type { Html } from "./layout.ts";

/** A usage bar: a <meter> (no inline style needed) with the numbers as text beside it. */
export function usageBar(label: string, used: number, limit: number, show: (n: number) => string = String): Html {
  return html`<div class="usage"><span class="usage-label">${label}</span>
<meter min="0" max="${Math.max(limit, 1)}" value="${Math.min(used, Math.max(limit, 1))}" high="${Math.max(limit, 1) * 0.8}" optimum="0" aria-label="${label}"></meter>
<span class="usage-text">${show(used)} / ${show(limit)}</span></div>`;
}

export const bytes = (n: number): string => formatBytes(n);

export function when(iso: string | null | undefined): Html {
  if (!iso) return html`—`;
  return html`<time datetime="${iso}">${iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "")}</time>`;
}

export function stateBadge(state: string): Html {
  return html`<span class="badge state-${state.replace(/[^a-z-]/g, "")}">${state}</span>`;
}
