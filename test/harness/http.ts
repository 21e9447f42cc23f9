import { execFile } from "node:child_process";

export interface CurlOptions {
  /** PEM file to verify HTTPS against (the ingress CA). */
  cacert?: string;
  headers?: Record<string, string>;
  timeoutSeconds?: number;
  /** curl `--resolve host:port:address` entries: a name reaches the ingress without any DNS. */
  resolve?: string[];
}

export interface CurlResult {
  status: number;
  body: string;
}

/**
 * GET through curl, as a user would: curl resolves every `*.localhost` name to loopback, which is
 * how tests reach `<app>.<tenant>.localhost` on the ingress without touching the host's resolver.
 * A connection failure is status 0.
 */
export function curl(url: string, options: CurlOptions = {}): Promise<CurlResult> {
  const args = ["-sS", "--max-time", String(options.timeoutSeconds ?? 5), "-o", "-", "-w", "\n%{http_code}"];
  if (options.cacert) args.push("--cacert", options.cacert);
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}: ${value}`);
  for (const entry of options.resolve ?? []) args.push("--resolve", entry);
  args.push(url);
  return new Promise((resolve) => {
    execFile("curl", args, { encoding: "utf8" }, (_error, stdout) => {
      const cut = stdout.lastIndexOf("\n");
      resolve({ status: Number(stdout.slice(cut + 1)) || 0, body: stdout.slice(0, Math.max(cut, 0)) });
    });
  });
}

/** Polls until `check` passes or the time is up; returns the last value either way. */
export async function eventually<T>(probe: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
