import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError, loadConfig } from "./config.ts";
import { startDaemon } from "./daemon.ts";
import { createLogger } from "./logger.ts";
import { EngineUnavailableError } from "./runtime/runtime.ts";
import { ListenError } from "./server/listeners.ts";
import { saveSettings } from "./settings-file.ts";
import { MissingBinaryError } from "./supervisor/binaries.ts";
import { ProcessStartError } from "./supervisor/supervised-process.ts";

/** `mcd` entry point: config, start, signals. Exits 1 with one clear line when it cannot start. */
export async function main(argv: string[]): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(argv);
  } catch (error) {
    process.stderr.write(`mcd: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    daemon = await startDaemon(config, logger);
  } catch (error) {
    const known = [EngineUnavailableError, ListenError, ConfigError, MissingBinaryError, ProcessStartError].some(
      (type) => error instanceof type,
    );
    const hint = error instanceof EngineUnavailableError ? " — start it (dockerd, or run scripts/setup) or set DOCKER_HOST" : "";
    process.stderr.write(`mcd: ${known ? (error as Error).message : String((error as Error).stack ?? error)}${hint}\n`);
    process.exit(1);
  }
  const pidFile = path.join(config.dataDir, "mcd.pid");
  await writeFile(pidFile, `${process.pid}\n`);
  // Saved once the daemon runs with them, so a setting that cannot work is not kept for the next start.
  await saveSettings(config.settingsFile, config.given).then(
    (saved) => saved && logger.info({ file: config.settingsFile, keys: [...config.given.keys()] }, "saved the settings given at start"),
    (error) => logger.warn({ err: error, file: config.settingsFile }, "could not save the settings given at start"),
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    await daemon.stop().catch((error) => logger.error({ err: error }, "shutdown failed"));
    await rm(pidFile, { force: true });
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}
