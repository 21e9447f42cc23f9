import { type Browser, type BrowserContext, type BrowserServer, chromium, type Page } from "playwright-core";

/** Debian's Chromium (scripts/setup installs it); never a browser playwright downloads. */
export const CHROMIUM = "/usr/bin/chromium";

export interface TestBrowser {
  browser: Browser;
  /** Ends Chromium by its pid's process group owner (also when the test failed midway). */
  kill(): Promise<void>;
}

/** Headless Chromium as its own server process, so after() can kill it whatever state it is in. */
export async function launchBrowser(): Promise<TestBrowser> {
  const server: BrowserServer = await chromium.launchServer({ executablePath: CHROMIUM, args: ["--no-sandbox"], headless: true });
  const browser = await chromium.connect(server.wsEndpoint());
  return {
    browser,
    async kill() {
      await browser.close().catch(() => {});
      await server.kill();
    },
  };
}

/** Signs a new browser context in at the dashboard with an API key; returns its page on the landing view. */
export async function signIn(
  browser: Browser,
  baseUrl: string,
  key: string,
  options: { colorScheme?: "light" | "dark"; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? "light",
    viewport: options.viewport ?? { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/dashboard/login`);
  await page.fill("#key", key);
  await Promise.all([page.waitForURL((url) => url.pathname !== "/dashboard/login"), page.click("button[type=submit]")]);
  return { context, page };
}
