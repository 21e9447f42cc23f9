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
 * The `logging.logs` entries that send access logs to that file only, without the request and
 * response headers (cookies and tokens never reach the disk, and a line stays ~300 bytes).
 */
export function accessLogging(file: string): Record<string, object> {
  return {
    // Access logs are INFO; the default log is WARN anyway, excluding them keeps it so.
    default: { level: "WARN", exclude: [`http.log.access.${ACCESS_LOGGER}`] },
    [ACCESS_LOGGER]: {
      writer: { output: "file", filename: file, roll_size_mb: 16, roll_keep: 1 },
      encoder: {
        format: "filter",
        wrap: { format: "json" },
        fields: {
          "request>headers": { filter: "delete" },
          "request>tls": { filter: "delete" },
          resp_headers: { filter: "delete" },
        },
      },
      include: [`http.log.access.${ACCESS_LOGGER}`],
    },
  };
}
