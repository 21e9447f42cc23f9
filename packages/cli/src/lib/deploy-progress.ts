import { createInterface } from "node:readline";
import type { PlatformEvent } from "@minicloud/shared";
import type { MinicloudClient } from "@minicloud/shared/client";

/**
 * Follows the app's events while a deploy runs and describes its phase for a spinner: which
 * release is starting, and how long its health check may still take. Only for a person at a
 * terminal (it costs a second request); scripts get the result alone.
 */
export async function followDeploy(client: MinicloudClient, app: string, setText: (text: string) => void): Promise<() => void> {
  const since = Date.now() - 1000;
  const stream = await client.apps.followEvents({ app, limit: 1 });
  let deadline: number | undefined;
  let phase = "";
  const render = () => {
    const left = deadline === undefined ? undefined : Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    setText(left === undefined ? phase : `${phase} — health check: ${left}s left`);
  };
  const ticker = setInterval(render, 1000);
  ticker.unref();
  void (async () => {
    for await (const text of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (!text) continue;
      const event = JSON.parse(text) as PlatformEvent;
      if (Date.parse(event.time) < since) continue;
      if (event.type === "deploy.started") {
        const seconds = Number(event.data.healthTimeoutSeconds);
        deadline = Number.isFinite(seconds) ? Date.now() + seconds * 1000 : undefined;
        phase = `Release ${event.release}: starting ${event.data.count} instance(s) of ${event.data.image}`;
        render();
      } else if (event.type === "deploy.succeeded") {
        deadline = undefined;
        phase = `Release ${event.release} healthy: switching traffic`;
        render();
      }
    }
  })().catch(() => undefined);
  return () => {
    clearInterval(ticker);
    stream.destroy();
  };
}
