/**
 * The dashboard rows of `npm run bench` (alone: `BENCH_ONLY=dashboard`), on a daemon of their own
 * with one tenant of BENCH_DASHBOARD_APPS (default 200) apps, in Debian's headless Chromium:
 * - first load of the tenant view to interactive (its script ran and its event socket is open),
 *   against GET /v1/apps answering the same list as JSON; goal ≤ 1 s;
 * - a state change (stop/start through the API) until the page shows it, against the same change
 *   reaching a plain /v1/events WebSocket; goal p95 ≤ 500 ms (the table shows p99, which is at least that).
 */
import WebSocket from "ws";
import { launchBrowser, signIn } from "../test/harness/browser.ts";
import { TestDaemon } from "../test/harness/daemon.ts";
import { BASE_IMAGE } from "../test/harness/paths.ts";
import { createTenant } from "../test/harness/tenant.ts";
import type { Record } from "./storage.ts";

const APPS = Number(process.env.BENCH_DASHBOARD_APPS ?? 200);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 7);
const CHANGES = 20;

export async function benchDashboard(record: Record): Promise<void> {
  const daemon = await TestDaemon.create();
  const chromium = await launchBrowser().catch(async (error: unknown) => {
    await daemon.destroy();
    throw error;
  });
  try {
    await daemon.start({ MC_RATE_LIMIT: "100000000" });
    const tenant = await createTenant(daemon, "bench", ["--max-apps", String(APPS + 10)]);
    const client = tenant.client();
    // Apps with no instances: the page's cost is in the list, not in containers.
    for (let i = 0; i < APPS; i++) await client.apps.deploy({ name: `app-${String(i).padStart(3, "0")}`, image: BASE_IMAGE, count: 0 });

    const { context, page } = await signIn(chromium.browser, daemon.tcpUrl, tenant.key);
    const loads: number[] = [];
    const lists: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const fresh = await context.newPage();
      const started = performance.now();
      await fresh.goto(`${daemon.tcpUrl}/dashboard`);
      await fresh.waitForSelector("body[data-live=connected]");
      loads.push(performance.now() - started);
      await fresh.close();
      const listed = performance.now();
      const response = await fetch(`${daemon.tcpUrl}/v1/apps`, { headers: { authorization: `Bearer ${tenant.key}` } });
      await response.arrayBuffer();
      lists.push(performance.now() - listed);
    }
    record(`dashboard: first load, tenant view of ${APPS} apps`, "ms", "≤ 1000 to interactive", loads, {
      name: "GET /v1/apps (JSON)",
      samples: lists,
    });

    await page.waitForSelector("body[data-live=connected]");
    // From the newest event on: the socket's history is not what is measured.
    const newest = (await client.apps.events({ limit: 1 })).at(-1)?.id ?? 0;
    const events = new WebSocket(`${daemon.tcpUrl.replace("http", "ws")}/v1/events?after=${newest}`, {
      headers: { authorization: `Bearer ${tenant.key}` },
    });
    await new Promise((resolve, reject) => events.once("open", resolve).once("error", reject));
    const visible: number[] = [];
    const delivered: number[] = [];
    const target = "app-000";
    for (let i = 0; i < CHANGES; i++) {
      const stopping = i % 2 === 0;
      const expected = stopping ? "stopped" : "scaled-to-zero";
      const arrived = new Promise<number>((resolve) => events.once("message", () => resolve(performance.now())));
      const started = performance.now();
      await client.apps.action(target, stopping ? "stop" : "start");
      await page.waitForFunction(
        ([name, state]) =>
          (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector(
            `tr[data-app="${name}"] .badge`,
          )?.textContent === state,
        [target, expected] as const,
        { polling: "raf" },
      );
      visible.push(performance.now() - started);
      delivered.push((await arrived) - started);
    }
    events.close();
    record(`dashboard: state change → visible (${APPS} apps)`, "ms", "p95 ≤ 500", visible, {
      name: "same change on a /v1/events socket",
      samples: delivered,
    });
    await context.close();
    await client.close();
  } finally {
    await chromium.kill();
    await daemon.destroy();
  }
}
