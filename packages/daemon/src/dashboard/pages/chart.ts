import { html } from "hono/html";
import type { Html } from "./layout.ts";

const WIDTH = 600;
const HEIGHT = 120;

/**
 * A line chart as inline SVG from one series of the metrics history: gaps (null) break the line.
 * Server-rendered, so it needs no charting library and no script.
 */
export function lineChart(title: string, values: (number | null)[], show: (n: number) => string): Html {
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return html`<figure class="chart"><figcaption>${title}</figcaption><p class="muted">No samples yet.</p></figure>`;
  const max = Math.max(...known, 1e-9);
  const step = values.length > 1 ? WIDTH / (values.length - 1) : WIDTH;
  const segments: string[] = [];
  let current: string[] = [];
  values.forEach((value, index) => {
    if (value === null) {
      if (current.length > 0) segments.push(current.join(" "));
      current = [];
      return;
    }
    current.push(`${(index * step).toFixed(1)},${(HEIGHT - (value / max) * (HEIGHT - 4) - 2).toFixed(1)}`);
  });
  if (current.length > 0) segments.push(current.join(" "));
  const latest = known.at(-1) ?? 0;
  return html`<figure class="chart"><figcaption>${title}: <strong>${show(latest)}</strong> <span class="muted">(max ${show(max)})</span></figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="none" role="img" aria-label="${title}, latest ${show(latest)}, max ${show(max)}">
<line class="axis" x1="0" y1="${HEIGHT - 1}" x2="${WIDTH}" y2="${HEIGHT - 1}"></line>
${segments.map((points) => html`<polyline class="series" points="${points}"></polyline>`)}
</svg></figure>`;
}
