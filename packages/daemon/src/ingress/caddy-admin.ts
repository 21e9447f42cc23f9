import http from "node:http";

/** Caddy's admin API on its Unix socket. Caddy accepts only an empty Host on a socket. */
export function caddyAdmin(socketPath: string, method: string, urlPath: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        socketPath,
        setHost: false,
        // A fresh connection each time: a config load may restart Caddy's admin server, and a
        // pooled connection to the old one would fail with EPIPE.
        agent: false,
        method,
        path: urlPath,
        headers: { Host: "", ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        timeout: 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error(`Caddy admin ${method} ${urlPath} timed out`)));
    request.on("error", reject);
    request.end(body);
  });
}
