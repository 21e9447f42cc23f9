import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { Agent, request } from "undici";
import WebSocket from "ws";
import { IDLE_COMMAND } from "./harness/apps.ts";
import { launchBrowser, signIn, type TestBrowser } from "./harness/browser.ts";
import { TestDaemon } from "./harness/daemon.ts";
import { json, mc } from "./harness/mc.ts";
import { BASE_IMAGE } from "./harness/paths.ts";
import { createTenant, deployVia, type TestTenant } from "./harness/tenant.ts";

/** Unique, so finding it anywhere in a page can only mean it leaked. */
const SECRET_VALUE = `dashsecret-${randomBytes(12).toString("hex")}`;
/** A log line that would run script if the page rendered it as HTML. */
const HOSTILE_LINE = `<img src=x id=pwned><script>window.pwned=1</script>`;
const LOGGING_COMMAND = ["sh", "-c", `echo '${HOSTILE_LINE}'; echo 'hello from the dashboard test'; exec sleep 3600`];

/** A marker set in the page: still there later means the page changed without a reload. */
async function mark(page: Page): Promise<void> {
  await page.evaluate(() => {
    (globalThis as unknown as { marker: number }).marker = 1;
  });
}
async function notReloaded(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { marker?: number }).marker === 1);
}

async function ok(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const result = await mc(args, env);
  assert.equal(result.code, 0, `mc ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

describe("dashboard", { timeout: 600_000 }, () => {
  let daemon: TestDaemon;
  let chromium: TestBrowser;
  let acme: TestTenant;
  let other: TestTenant;
  let base: string;

  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start();
    base = daemon.tcpUrl;
    chromium = await launchBrowser();
    acme = await createTenant(daemon, "acme");
    other = await createTenant(daemon, "other");
    await deployVia(other.client(), { name: "private", image: BASE_IMAGE, command: IDLE_COMMAND });
  });

  after(async () => {
    await chromium?.kill();
    await daemon?.destroy();
  });

  test("a wrong key gets a clear message and no session", async () => {
    const context = await chromium.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${base}/dashboard/login`);
      await page.fill("#key", "mc_notakey_0000");
      const [response] = await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
      assert.equal(response?.status(), 401);
      assert.match((await page.textContent("#signin-message")) ?? "", /not valid/);
      assert.deepEqual(await context.cookies(), []);
      // The key went in the body, never the URL.
      assert.equal(new URL(page.url()).search, "");
    } finally {
      await context.close();
    }
  });

  test("pages carry a strict CSP and refuse framing", async () => {
    const response = await fetch(`${base}/dashboard/login`);
    const csp = response.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(response.headers.get("x-frame-options"), "DENY");
    // And the HTML has no inline script.
    assert.doesNotMatch(await response.text(), /<script>|<script(?![^>]*\bsrc=)[^>]*>/);
  });

  test("a tenant sees a CLI deploy appear, a CLI stop change the page, logs as text, and rolls back", async () => {
    const { context, page } = await signIn(chromium.browser, base, acme.key);
    try {
      const cookie = (await context.cookies()).find((c) => c.name === "mc_session");
      assert.ok(cookie?.httpOnly, "the session cookie is HttpOnly");
      assert.equal(cookie?.sameSite, "Strict");
      assert.ok((cookie?.expires ?? -1) > Date.now() / 1000, "the session cookie expires");
      assert.equal(await page.evaluate(() => localStorage.length), 0);
      assert.match((await page.textContent("h1")) ?? "", /Apps/);
      await page.waitForSelector("body[data-live=connected]");
      await mark(page);

      await deployVia(acme.client(), { name: "web", image: BASE_IMAGE, command: LOGGING_COMMAND, env: { MODE: "one" } });
      await page.waitForSelector('tr[data-app="web"] >> text=running');
      assert.ok(await notReloaded(page), "the app appeared without a reload");

      await ok(["stop", "web"], acme.env);
      await page.waitForSelector('tr[data-app="web"] >> text=stopped');
      assert.ok(await notReloaded(page), "the stop showed without a reload");
      await ok(["start", "web"], acme.env);
      await page.waitForSelector('tr[data-app="web"] >> text=running');

      // A second release (a secret: its value never in the page), then roll back to the first from the page.
      await mc(["secrets", "set", "web", `TOKEN=${SECRET_VALUE}`], acme.env).then((r) => assert.equal(r.code, 0, r.stderr));
      await page.click('a[href="/dashboard/apps/web"]');
      await page.waitForSelector("#logs >> text=hello from the dashboard test");
      const logs = await page.textContent("#logs");
      assert.ok(logs?.includes(HOSTILE_LINE), "the HTML log line is shown as text");
      assert.equal(await page.$("#pwned"), null);
      assert.equal(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned), undefined);
      assert.match((await page.textContent("#config")) ?? "", /TOKEN/);
      assert.ok(!(await page.content()).includes(SECRET_VALUE), "no secret value in the page");

      // Search: only matching lines.
      await page.fill("#grep", "hello");
      await Promise.all([page.waitForNavigation(), page.press("#grep", "Enter")]);
      assert.ok(!(await page.textContent("#logs"))?.includes("pwned"));
      assert.match((await page.textContent("#logs")) ?? "", /hello from the dashboard test/);

      await mark(page);
      await page.click("text=Roll back to v1");
      await page.waitForSelector("#releases >> text=rollback to v1");
      await page.waitForSelector("#summary >> text=v3");
      assert.ok(await notReloaded(page));
      const releases = json<{ releases: { version: number; rollbackOf: number | null }[] }>(
        await ok(["releases", "web", "--json"], acme.env),
      );
      assert.equal(releases.releases.at(-1)?.rollbackOf, 1);
    } finally {
      await context.close();
    }
  });

  test("the admin sees the rollback in the audit log and verifies the chain", async () => {
    const { context, page } = await signIn(chromium.browser, base, await daemon.adminKey());
    try {
      assert.equal(new URL(page.url()).pathname, "/dashboard/admin");
      assert.match((await page.textContent("#components")) ?? "", /caddy|ingress/i);
      assert.match((await page.textContent("#tenants")) ?? "", /acme/);
      assert.match((await page.textContent("#host")) ?? "", /CPU load[\s\S]*Memory in use[\s\S]*Disk/);
      await page.goto(`${base}/dashboard/admin?tenant=acme&action=rollback`);
      const audit = await page.textContent("#audit");
      assert.match(audit ?? "", /POST \/v1\/apps\/web\/rollback/);
      await page.click("text=Verify chain");
      await page.waitForSelector("#verify-result >> text=The chain holds");
    } finally {
      await context.close();
    }
  });

  test("a tenant session cannot reach the admin view or another tenant's app (page, API, WebSocket)", async () => {
    const { context, page } = await signIn(chromium.browser, base, acme.key);
    try {
      const admin = await page.goto(`${base}/dashboard/admin`);
      assert.equal(admin?.status(), 403);
      const foreign = await page.goto(`${base}/dashboard/apps/private`);
      assert.equal(foreign?.status(), 404);
      const scoped = await page.goto(`${base}/dashboard/apps/private?tenant=other`);
      assert.equal(scoped?.status(), 404);
      const api = await context.request.get(`${base}/dashboard/api/v1/apps/private/logs?tenant=other`);
      assert.equal(api.status(), 404);
      const verify = await context.request.get(`${base}/dashboard/api/v1/audit/verify`);
      assert.equal(verify.status(), 403);

      // The socket: another tenant's change arrives nowhere; our own next change does.
      await page.goto(`${base}/dashboard`);
      await page.evaluate(() => {
        const seen: string[] = [];
        (globalThis as unknown as { seen: string[] }).seen = seen;
        const ws = new WebSocket(`ws://${(globalThis as unknown as { location: { host: string } }).location.host}/dashboard/events`);
        ws.onmessage = (message) => seen.push(JSON.parse(String(message.data)).tenant);
        return new Promise((resolve) => {
          ws.onopen = resolve;
        });
      });
      await ok(["stop", "private"], other.env);
      await ok(["restart", "web"], acme.env);
      await page.waitForFunction(() => (globalThis as unknown as { seen: string[] }).seen.includes("acme"));
      const seen = await page.evaluate(() => (globalThis as unknown as { seen: string[] }).seen);
      assert.deepEqual([...new Set(seen)], ["acme"]);
    } finally {
      await context.close();
    }
  });

  test("a cross-site POST is refused (CSRF) and the app keeps running", async () => {
    const { context } = await signIn(chromium.browser, base, acme.key);
    try {
      const cookie = (await context.cookies()).find((c) => c.name === "mc_session");
      const session = `mc_session=${cookie?.value}`;
      // A form another site posts (its Origin), even with the cookie.
      const crossSite = await fetch(`${base}/dashboard/api/v1/apps/web/stop`, {
        method: "POST",
        headers: { cookie: session, origin: "http://evil.example", "content-type": "application/x-www-form-urlencoded" },
        body: "x=1",
      });
      assert.equal(crossSite.status, 403);
      // Same origin but without the session's token: refused too.
      const noToken = await fetch(`${base}/dashboard/api/v1/apps/web/stop`, {
        method: "POST",
        headers: { cookie: session, origin: base, "content-type": "application/json" },
        body: "{}",
      });
      assert.equal(noToken.status, 403);
      // A socket opened by another site's page, with the cookie, is refused.
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${base.replace("http", "ws")}/dashboard/events`, {
          headers: { cookie: session, origin: "http://evil.example" },
        });
        ws.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
        ws.once("open", () => {
          ws.close();
          resolve(101);
        });
        ws.once("error", reject);
      });
      assert.equal(status, 401);
      const app = json<{ desired: string }>(await ok(["status", "web", "--json"], acme.env));
      assert.equal(app.desired, "running");
    } finally {
      await context.close();
    }
  });

  test("sign-out ends the session on the server; a revoked key ends its sessions", async () => {
    const { context, page } = await signIn(chromium.browser, base, acme.key);
    const cookie = (await context.cookies()).find((c) => c.name === "mc_session");
    await page.click("#sign-out");
    await page.waitForURL(/ended=signed-out/);
    const replay = await fetch(`${base}/dashboard`, { headers: { cookie: `mc_session=${cookie?.value}` }, redirect: "manual" });
    assert.equal(replay.status, 303);
    await context.close();
    // Sign-in and sign-out are in the audit log with the key that did them.
    const audit = await ok(["audit", "--tail", "50", "--json"], daemon.env);
    assert.match(audit, /POST \/dashboard\/login/);
    assert.match(audit, /POST \/dashboard\/logout/);

    const created = json<{ id: string; key: string }>(await ok(["keys", "create", "--name", "browser", "--json"], acme.env));
    const second = await signIn(chromium.browser, base, created.key);
    try {
      await second.page.waitForSelector("body[data-live=connected]");
      await ok(["keys", "revoke", created.id], acme.env);
      // The open page is sent to sign in, saying why, without anyone reloading it.
      await second.page.waitForURL(/\/dashboard\/login/);
      assert.match((await second.page.textContent("#signin-message")) ?? "", /revoked/);
      const again = await second.page.goto(`${base}/dashboard`);
      assert.equal(new URL(again?.url() ?? "").pathname, "/dashboard/login");
    } finally {
      await second.context.close();
    }
  });
  test("the log tail follows the app: new lines appear without an event or a reload", async () => {
    const ticking = ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick-$i; sleep 1; done"];
    await deployVia(acme.client(), { name: "ticker", image: BASE_IMAGE, command: ticking });
    const { context, page } = await signIn(chromium.browser, base, acme.key);
    try {
      await page.goto(`${base}/dashboard/apps/ticker`);
      await mark(page);
      const highest = async () =>
        Math.max(0, ...[...((await page.textContent("#logs")) ?? "").matchAll(/tick-(\d+)/g)].map((m) => Number(m[1])));
      const first = await highest();
      await page.waitForFunction((seen) => {
        const text =
          (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } | null } }).document.getElementById(
            "logs",
          )?.textContent ?? "";
        return [...text.matchAll(/tick-(\d+)/g)].some((m) => Number(m[1]) >= seen + 2);
      }, first);
      assert.ok(await notReloaded(page));
      await ok(["destroy", "ticker", "--yes"], acme.env);
    } finally {
      await context.close();
    }
  });

  test("actions from the page: stop, start, scale, and destroy once the name is typed", async () => {
    await ok(["volumes", "create", "tmpdata", "-s", "64m"], acme.env);
    await deployVia(acme.client(), {
      name: "keeper",
      image: BASE_IMAGE,
      command: IDLE_COMMAND,
      volumes: [{ name: "tmpdata", path: "/data" }],
    });
    await deployVia(acme.client(), { name: "tmp", image: BASE_IMAGE, command: IDLE_COMMAND });
    const { context, page } = await signIn(chromium.browser, base, acme.key);
    const status = async () => json<{ desired: string; count: number }>(await ok(["status", "tmp", "--json"], acme.env));
    try {
      // An app's volume with its size and snapshots.
      await page.goto(`${base}/dashboard/apps/keeper`);
      assert.match((await page.textContent("#config")) ?? "", /tmpdata at \/data — .* of 64\.0 MiB, 0 snapshots/);
      await page.goto(`${base}/dashboard/apps/tmp`);
      await page.waitForSelector("body[data-live=connected]");
      await page.click("button:text-is('Stop')");
      await page.waitForSelector("#summary >> text=stopped");
      assert.equal((await status()).desired, "stopped");
      await page.click("button:text-is('Start')");
      await page.waitForSelector("#summary .badge >> text=running");
      await page.fill("#scale-count", "2");
      await page.click("button:text-is('Scale')");
      await page.waitForSelector("#summary >> text=2/2 running");
      assert.equal((await status()).count, 2);

      await page.fill("#destroy-name", "not-tmp");
      await page.click("button:text-is('Destroy')");
      await page.waitForSelector("#notice >> text=Type tmp to confirm");
      assert.equal((await status()).count, 2, "nothing was destroyed");
      await page.fill("#destroy-name", "tmp");
      await Promise.all([page.waitForURL(`${base}/dashboard`), page.click("button:text-is('Destroy')")]);
      assert.equal(await page.$('tr[data-app="tmp"]'), null);
      assert.notEqual((await mc(["status", "tmp", "--json"], acme.env)).code, 0);
    } finally {
      await context.close();
    }
  });

  test("a narrow screen, the system's dark mode and the keyboard", async () => {
    const background = () =>
      (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(
        (globalThis as unknown as { document: { body: unknown } }).document.body,
      ).backgroundColor;
    const phone = await signIn(chromium.browser, base, acme.key, { viewport: { width: 360, height: 740 }, colorScheme: "dark" });
    try {
      for (const path of ["/dashboard", "/dashboard/apps/web"]) {
        await phone.page.goto(`${base}${path}`);
        const { scrollWidth, clientWidth } = await phone.page.evaluate(() => {
          const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document
            .documentElement;
          return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
        });
        assert.ok(scrollWidth <= clientWidth, `${path} fits 360 px (${scrollWidth} > ${clientWidth})`);
      }
      assert.equal(await phone.page.evaluate(background), "rgb(13, 17, 23)", "dark background under prefers-color-scheme: dark");
      // The first Tab reaches the skip link; a form is sent with Enter.
      await phone.page.keyboard.press("Tab");
      const focused = () =>
        (globalThis as unknown as { document: { activeElement: { className: string } | null } }).document.activeElement?.className;
      assert.equal(await phone.page.evaluate(focused), "skip");
      await phone.page.fill("#scale-count", "1");
      await phone.page.press("#scale-count", "Enter");
      await phone.page.waitForSelector("#notice >> text=Scale: done");
    } finally {
      await phone.context.close();
    }
    const light = await signIn(chromium.browser, base, acme.key, { colorScheme: "light" });
    try {
      assert.equal(await light.page.evaluate(background), "rgb(255, 255, 255)");
    } finally {
      await light.context.close();
    }
  });

  test("mc dashboard prints the URL (and opens nothing without a TTY)", async () => {
    for (const env of [acme.env, daemon.env]) {
      const printed = json<{ url: string; opened: boolean }>(await ok(["dashboard", "--json"], env));
      assert.deepEqual(printed, { url: `${base}/dashboard`, opened: false });
    }
  });

  test("after a daemon restart the page says it is away, then follows events again in the same session", async () => {
    const { context, page } = await signIn(chromium.browser, base, acme.key);
    try {
      await page.waitForSelector("body[data-live=connected]");
      await mark(page);
      const restarting = daemon.restart();
      await page.waitForSelector("#connection >> text=reconnecting");
      await restarting;
      await page.waitForSelector("body[data-live=connected]", { timeout: 30_000 });
      assert.ok(await page.isHidden("#connection"));
      await ok(["stop", "web"], acme.env);
      await page.waitForSelector('tr[data-app="web"] >> text=stopped');
      assert.ok(await notReloaded(page));
      assert.equal(new URL(page.url()).pathname, "/dashboard");
    } finally {
      await context.close();
    }
  });
});

describe("dashboard over TLS", { timeout: 180_000 }, () => {
  test("beyond loopback the session cookie is Secure", async () => {
    const daemon = await TestDaemon.create({ listenHost: "0.0.0.0" });
    const insecure = new Agent({ connect: { rejectUnauthorized: false } });
    try {
      await daemon.start();
      assert.match(daemon.tcpUrl, /^https:/);
      const response = await request(`${daemon.tcpUrl}/dashboard/login`, {
        method: "POST",
        dispatcher: insecure,
        headers: { origin: daemon.tcpUrl, "content-type": "application/x-www-form-urlencoded" },
        body: `key=${encodeURIComponent(await daemon.adminKey())}`,
      });
      await response.body.dump();
      assert.equal(response.statusCode, 303);
      const cookie = String(response.headers["set-cookie"]);
      assert.match(cookie, /mc_session=[^;]+;.*Secure/);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
    } finally {
      await insecure.close();
      await daemon.destroy();
    }
  });
});

describe("dashboard and the rate limit", { timeout: 180_000 }, () => {
  test("a page costs its key one request however many reads render it", async () => {
    const daemon = await TestDaemon.create();
    try {
      await daemon.start({ MC_RATE_LIMIT: "4" });
      const tenant = await createTenant(daemon, "limited");
      const login = await fetch(`${daemon.tcpUrl}/dashboard/login`, {
        method: "POST",
        redirect: "manual",
        headers: { origin: daemon.tcpUrl, "content-type": "application/x-www-form-urlencoded" },
        body: `key=${encodeURIComponent(tenant.key)}`,
      });
      const cookie = /mc_session=[^;]+/.exec(login.headers.get("set-cookie") ?? "")?.[0] ?? "";
      // The tenant view reads the apps and the quota: two API calls, one request of the limit.
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${daemon.tcpUrl}/dashboard`, { headers: { cookie } })).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
    } finally {
      await daemon.destroy();
    }
  });
});
