import http from "node:http";

export interface LoadResult {
  ok: number;
  failed: number;
  failures: string[];
  bodies: Set<string>;
}

/**
 * Steady HTTP load on one host of the ingress: `concurrency` clients on keep-alive connections,
 * each sending the next request as soon as the last one answered, until `stop()`.
 */
export function steadyLoad(port: number, host: string, concurrency = 4): { stop(): Promise<LoadResult> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const result: LoadResult = { ok: 0, failed: 0, failures: [], bodies: new Set() };
  let running = true;
  const one = () =>
    new Promise<void>((resolve) => {
      const request = http.get({ host: "127.0.0.1", port, path: "/", agent, headers: { Host: host }, timeout: 10_000 }, (response) => {
        let body = "";
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => {
          if (response.statusCode === 200) {
            result.ok++;
            result.bodies.add(body.trim().split(" ")[0] ?? "");
          } else {
            result.failed++;
            result.failures.push(`HTTP ${response.statusCode}: ${body.slice(0, 80)}`);
          }
          resolve();
        });
      });
      request.on("timeout", () => request.destroy(new Error("timed out")));
      request.on("error", (error) => {
        result.failed++;
        result.failures.push(error.message);
        resolve();
      });
    });
  const clients = Array.from({ length: concurrency }, async () => {
    while (running) await one();
  });
  return {
    async stop() {
      running = false;
      await Promise.all(clients);
      agent.destroy();
      return result;
    },
  };
}
