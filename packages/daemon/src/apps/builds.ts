import { type Readable, Transform } from "node:stream";
import { ApiError, type BuildQuery } from "@minicloud/shared";
import type { Logger } from "pino";
import { LineOutbox } from "../common/line-outbox.ts";
import { BuildFailedError, type Runtime } from "../runtime/runtime.ts";

/** Largest build context accepted. */
export const MAX_BUILD_CONTEXT_BYTES = 256 * 1024 * 1024;
/** Ceiling of a build's RUN steps, whatever the tenant's quota: one build cannot take the host down. */
const BUILD_MEMORY_BYTES = 1024 * 1024 * 1024;
const BUILD_CPUS = 1;

/** One line of `POST /v1/apps/:name/builds` output. The last is `image` (success) or `error`. */
export type BuildLine = { stream: string } | { image: string } | { error: string };

/**
 * Builds a tenant's Dockerfile through the engine and tags the image in the tenant's namespace
 * (`<prefix>-images/<tenant>/<app>:<time>`, labelled with the tenant so no other tenant may run it).
 * The output is streamed line by line as it happens.
 */
export class Builds {
  private readonly runtime: Runtime;
  private readonly prefix: string;
  private readonly logger: Logger;

  constructor(runtime: Runtime, prefix: string, logger: Logger) {
    this.runtime = runtime;
    this.prefix = prefix;
    this.logger = logger;
  }

  build(tenant: string, app: string, context: Readable, options: BuildQuery = {}): Readable {
    const tag = `${this.prefix}-images/${tenant}/${app}:${Date.now().toString(36)}`;
    // Output a slow reader has no room for is dropped with a counted line; the result always goes.
    const out = new LineOutbox({
      overflow: {
        drop: (count) => JSON.stringify({ stream: `[minicloud] ${count} lines of build output dropped: the reader is too slow` }),
      },
    });
    const write = (line: BuildLine) => out.offer(JSON.stringify(line), !("stream" in line));
    const limited = context.pipe(byteLimit(MAX_BUILD_CONTEXT_BYTES));
    context.on("error", (error) => limited.destroy(error));
    this.runtime
      .buildImage(
        limited,
        {
          tag,
          tenant,
          memoryBytes: BUILD_MEMORY_BYTES,
          cpus: BUILD_CPUS,
          dockerfile: options.dockerfile,
          noCache: options.noCache === "true",
          buildArgs: options.buildArgs ?? {},
        },
        (text) => write({ stream: text }),
      )
      .then(
        () => write({ image: tag }),
        (error: Error) => {
          this.logger.info({ tenant, app, err: error }, "build failed");
          write({
            error: error instanceof BuildFailedError || error instanceof ApiError ? error.message : `the build failed: ${error.message}`,
          });
        },
      )
      .finally(() => out.finish());
    return out;
  }
}

function byteLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > max)
        callback(new ApiError("payload_too_large", `the build context is larger than ${max / 1024 / 1024} MiB — add a .dockerignore`));
      else callback(null, chunk);
    },
  });
}
