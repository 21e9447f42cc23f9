export { type DaemonConfig, loadConfig } from "./config.ts";
export { startDaemon } from "./daemon.ts";
export { main } from "./main.ts";
