/**
 * scripts/screenshots: the dashboard's tenant, app and admin views in light and dark, as PNGs under
 * docs/images/, from a throwaway daemon (test/harness) with a few apps, in Debian's headless Chromium.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { IDLE_COMMAND, whoAmICommand } from "../test/harness/apps.ts";
import { launchBrowser, signIn } from "../test/harness/browser.ts";
import { TestDaemon } from "../test/harness/daemon.ts";
import { mc } from "../test/harness/mc.ts";
import { BASE_IMAGE, REPO_ROOT } from "../test/harness/paths.ts";
import { createTenant, deployVia } from "../test/harness/tenant.ts";

const OUT = path.join(REPO_ROOT, "docs/images");
const daemon = await TestDaemon.create();
const chromium = await launchBrowser().catch(async (error: unknown) => {
  await daemon.destroy();
  throw error;
});
try {
  await daemon.start();
  await mkdir(OUT, { recursive: true });
  const acme = await createTenant(daemon, "acme");
  await createTenant(daemon, "globex");
  await deployVia(acme.client(), { name: "web", image: BASE_IMAGE, command: whoAmICommand("web"), port: 8080, count: 2 });
  await deployVia(acme.client(), { name: "shop", image: BASE_IMAGE, command: whoAmICommand("shop"), port: 8080 });
  await deployVia(acme.client(), { name: "worker", image: BASE_IMAGE, command: IDLE_COMMAND, env: { QUEUE: "jobs" } });
  await deployVia(acme.client(), { name: "web", env: { GREETING: "hello" } });
  await deployVia(acme.client(), { name: "batch", image: BASE_IMAGE, command: IDLE_COMMAND });
  await mc(["secrets", "set", "shop", "DATABASE_URL=postgres://example"], acme.env);
  await mc(["stop", "batch"], acme.env);
  // A minute of samples gives the charts a line.
  await sleep(Number(process.env.SCREENSHOT_WAIT_MS ?? 20_000));
  const admin = await daemon.adminKey();
  for (const scheme of ["light", "dark"] as const) {
    const tenant = await signIn(chromium.browser, daemon.tcpUrl, acme.key, { colorScheme: scheme });
    await tenant.page.screenshot({ path: path.join(OUT, `dashboard-tenant-${scheme}.png`), fullPage: true });
    await tenant.page.goto(`${daemon.tcpUrl}/dashboard/apps/web`);
    await tenant.page.screenshot({ path: path.join(OUT, `dashboard-app-${scheme}.png`), fullPage: true });
    await tenant.context.close();
    const operator = await signIn(chromium.browser, daemon.tcpUrl, admin, { colorScheme: scheme });
    await operator.page.screenshot({ path: path.join(OUT, `dashboard-admin-${scheme}.png`), fullPage: true });
    await operator.context.close();
  }
  // A narrow screen, for the docs.
  const phone = await signIn(chromium.browser, daemon.tcpUrl, acme.key, { viewport: { width: 390, height: 844 } });
  await phone.page.screenshot({ path: path.join(OUT, "dashboard-tenant-narrow.png"), fullPage: true });
  await phone.context.close();
  process.stdout.write(`wrote docs/images/dashboard-*.png\n`);
} finally {
  await chromium.kill();
  await daemon.destroy();
}
