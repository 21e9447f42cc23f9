import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError, loadConfig } from "./config.ts";
import { startDaemon } from "./daemon.ts";
import { createLogger } from "./logger.ts";
import { EngineUnavailableError } from "./runtime/runtime.ts";
import { MasterKeyError } from "./secrets/master-key.ts";
import { ListenError } from "./server/listeners.ts";
import { saveSettings } from "./settings-file.ts";
import { MissingBinaryError } from "./supervisor/binaries.ts";
import { ProcessStartError } from "./supervisor/supervised-process.ts";

/** `mcd` entry point: config, start, signals. Exits 1 with one clear line when it cannot start. */
export async function main(argv: string[]): Promise<void> {
  const subcommand = argv[0] === "rotate-master-key" ? argv[0] : undefined;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(subcommand ? argv.slice(1) : argv);
  } catch (error) {
    process.stderr.write(`mcd: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (subcommand) return rotate(config);
  const logger = createLogger(config.logLevel);
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    daemon = await startDaemon(config, logger);
  } catch (error) {
    const known = [EngineUnavailableError, ListenError, ConfigError, MissingBinaryError, ProcessStartError, MasterKeyError].some(
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

/** `mcd rotate-master-key [flags]`: the daemon's own settings say where the data dir and key file are. */
async function rotate(config: ReturnType<typeof loadConfig>): Promise<void> {
  const { rotateMasterKey } = await import("./secrets/rotate.ts");
  try {
    const done = await rotateMasterKey(config);
    process.stdout.write(`mcd: master key ${done.from} replaced by ${done.to} in ${done.file}; ${done.tenants} tenant key(s) re-wrapped\n`);
  } catch (error) {
    process.stderr.write(`mcd: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
