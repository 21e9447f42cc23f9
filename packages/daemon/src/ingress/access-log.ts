import path from "node:path";

/** Caddy's access log logger: `http.log.access.<name>`. */
export const ACCESS_LOGGER = "mc_access";

/**
 * Where Caddy writes one JSON line per request it served (every host), for the daemon's per-app
 * traffic metrics (metrics/access-log-reader.ts). Caddy rolls it at 16 MB and keeps one old file.
 */
export function accessLogPath(dataDir: string): string {
  return path.join(dataDir, "ingress", "access.log");
}

/**
 * Only what the metrics read (host, status, duration) and the time: Caddy encodes every field of
 * every request, and the full line cost ~10-15 % of its CPU per request under load (docs/performance.md).
 * Without headers and URIs, cookies and tokens (also in query strings) never reach the disk.
 */
const DROPPED = [
  "request>headers",
  "request>tls",
  "request>remote_ip",
  "request>remote_port",
  "request>proto",
  "request>method",
  "request>uri",
  "user_id",
  "size",
  "bytes_read",
  "resp_headers",
];

/** The `logging.logs` entries that send access logs to that file only, fields as above. */
export function accessLogging(file: string): Record<string, object> {
  return {
    // Access logs are INFO; the default log is WARN anyway, excluding them keeps it so.
    default: { level: "WARN", exclude: [`http.log.access.${ACCESS_LOGGER}`] },
    [ACCESS_LOGGER]: {
      writer: { output: "file", filename: file, roll_size_mb: 16, roll_keep: 1 },
      encoder: {
        format: "filter",
        wrap: { format: "json" },
        fields: Object.fromEntries(DROPPED.map((field) => [field, { filter: "delete" }])),
      },
      include: [`http.log.access.${ACCESS_LOGGER}`],
    },
  };
}
