import type { Readable } from "node:stream";
import { ApiError, type BuildQuery, checkImageReference } from "@minicloud/shared";
import type { Logger } from "pino";
import { LineOutbox } from "../common/line-outbox.ts";
import { BuildFailedError, type Runtime } from "../runtime/runtime.ts";
import { spoolContext } from "./build-context.ts";
import { dockerfileSources } from "./dockerfile-sources.ts";
import { usableImage } from "./image-access.ts";

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

  /**
   * The context is spooled and its Dockerfile read first: every image it builds on (FROM, COPY
   * --from) must be one the tenant may run, by name — never another tenant's, never an id prefix.
   */
  private async checkedBuild(
    tenant: string,
    tag: string,
    context: Readable,
    options: BuildQuery,
    onOutput: (line: string) => void,
  ): Promise<void> {
    const spooled = await spoolContext(context, options.dockerfile ?? "Dockerfile", MAX_BUILD_CONTEXT_BYTES);
    try {
      if (spooled.dockerfile !== undefined) await this.checkSources(tenant, spooled.dockerfile, options.buildArgs ?? {});
      await this.runtime.buildImage(
        spooled.open(),
        {
          tag,
          tenant,
          memoryBytes: BUILD_MEMORY_BYTES,
          cpus: BUILD_CPUS,
          dockerfile: options.dockerfile,
          noCache: options.noCache === "true",
          buildArgs: options.buildArgs ?? {},
        },
        onOutput,
      );
    } finally {
      await spooled.remove();
    }
  }

  private async checkSources(tenant: string, dockerfile: string, buildArgs: Record<string, string>): Promise<void> {
    const { images, problem } = dockerfileSources(dockerfile, buildArgs);
    if (problem) throw new BuildFailedError(`${problem}: the images a build uses must be known before it starts`);
    for (const image of images) {
      if (checkImageReference(image) || !(await usableImage(this.runtime, tenant, image))) {
        throw new BuildFailedError(
          `the Dockerfile builds on ${image}, which was not found among the images this tenant may use (its own builds and the host's images)`,
        );
      }
    }
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
    this.checkedBuild(tenant, tag, context, options, (text) => write({ stream: text }))
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
