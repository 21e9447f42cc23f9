import { html } from "hono/html";
import type { Html } from "./layout.ts";

/** A usage bar: a <meter> (no inline style needed) with the numbers as text beside it. */
export function usageBar(label: string, used: number, limit: number, show: (n: number) => string = String): Html {
  return html`<div class="usage"><span class="usage-label">${label}</span>
<meter min="0" max="${Math.max(limit, 1)}" value="${Math.min(used, Math.max(limit, 1))}" high="${Math.max(limit, 1) * 0.8}" optimum="0" aria-label="${label}"></meter>
<span class="usage-text">${show(used)} / ${show(limit)}</span></div>`;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** Bytes for people (1.6 GiB), not the exact size flags take (`formatBytes`' 1667852k). */
export function bytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${UNITS[unit]}`;
}

export function when(iso: string | null | undefined): Html {
  if (!iso) return html`—`;
  return html`<time datetime="${iso}">${iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "")}</time>`;
}

export function stateBadge(state: string): Html {
  return html`<span class="badge state-${state.replace(/[^a-z-]/g, "")}">${state}</span>`;
}
