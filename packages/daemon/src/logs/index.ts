/** Durable logs: the store, its collector, reads and searches. The rest of the daemon uses only this. */
export { PLATFORM, PLATFORM_LOG_EVENTS } from "./collector.ts";
export { DurableLogs, type DurableLogsOptions } from "./durable-logs.ts";
export { compileGrep, type LineTest } from "./grep.ts";
export type { LogQuery } from "./reader.ts";
