import type { Readable } from "node:stream";
import { ApiError, type BuildQuery, checkImageReference, formatBytes, type QuotaLimits } from "@minicloud/shared";
import type { Logger } from "pino";
import { LineOutbox } from "../common/line-outbox.ts";
import type { ImageBytes } from "../quota/image-bytes.ts";
import { storageOf } from "../quota/usage.ts";
import { BuildFailedError, type Runtime, type TenantNetwork } from "../runtime/runtime.ts";
import type { State } from "../store/schema.ts";
import { spoolContext } from "./build-context.ts";
import { dockerfileSources } from "./dockerfile-sources.ts";
import type { AppImages } from "./images-port.ts";

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
export interface BuildsDeps {
  runtime: Runtime;
  /** Who may run what: a build's FROM and COPY --from follow the same rules as a deploy. */
  access: Pick<AppImages, "usable">;
  prefix: string;
  /** How long one build may run (MC_BUILD_TIMEOUT). */
  timeoutMs: number;
  /** The tenant's network, ready (its DNS and host firewall rules in place): RUN steps run on it. */
  network: (tenant: string) => Promise<TenantNetwork>;
  /** The tenant's image bytes, sized again after each build. */
  images: ImageBytes;
  /** The tenant's limits and state: a built image counts against its storage. */
  quotaOf: (tenant: string) => QuotaLimits;
  state: () => Readonly<State>;
  /** The built-in registry: every built image is pushed into the tenant's namespace there too. */
  registry?: { host: string; credentialsFor(tenant: string): { username: string; password: string } };
  logger: Logger;
}

export class Builds {
  private readonly runtime: Runtime;
  private readonly prefix: string;
  private readonly logger: Logger;
  private readonly deps: BuildsDeps;

  constructor(deps: BuildsDeps) {
    this.deps = deps;
    this.runtime = deps.runtime;
    this.prefix = deps.prefix;
    this.logger = deps.logger;
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
    signal: AbortSignal,
  ): Promise<void> {
    const spooled = await spoolContext(context, options.dockerfile ?? "Dockerfile", MAX_BUILD_CONTEXT_BYTES);
    try {
      if (spooled.dockerfile !== undefined) await this.checkSources(tenant, spooled.dockerfile, options.buildArgs ?? {});
      const network = await this.deps.network(tenant);
      signal.throwIfAborted();
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
          signal,
          network: network.name,
        },
        onOutput,
      );
    } finally {
      await spooled.remove();
    }
    await this.checkStorage(tenant, tag);
    await this.pushToRegistry(tenant, tag, onOutput);
  }

  /** `<prefix>-images/<tenant>/<app>:<t>` also becomes `registry/<tenant>/<app>:<t>`, so every release's image is in the registry. */
  private async pushToRegistry(tenant: string, tag: string, onOutput: (line: string) => void): Promise<void> {
    const registry = this.deps.registry;
    if (!registry) return;
    const name = tag.slice(`${this.prefix}-images/`.length);
    try {
      await this.runtime.pushImage(tag, `${registry.host}/${name}`, { ...registry.credentialsFor(tenant), serveraddress: registry.host });
    } catch (error) {
      await this.runtime.removeImage(tag);
      throw new BuildFailedError(`the image was built but could not be pushed to the built-in registry: ${(error as Error).message}`);
    }
    onOutput(`pushed to the built-in registry as registry/${name}`);
    // Its copy there counts too (a copy that takes the tenant over the limit is deleted again: registry/pushes.ts).
    await this.deps.images.refresh(tenant);
  }

  /**
   * A built image counts against the tenant's storage: the volumes and snapshots it holds plus its
   * images on the engine (this one included). Over the limit, the new image is removed.
   */
  private async checkStorage(tenant: string, tag: string): Promise<void> {
    const limit = this.deps.quotaOf(tenant).maxStorage;
    const images = await this.deps.images.refresh(tenant);
    const volumes = storageOf(this.deps.state(), tenant);
    if (volumes + images <= limit) return;
    await this.runtime.removeImage(tag);
    await this.deps.images.refresh(tenant);
    throw new ApiError(
      "quota_exceeded",
      `the built image would bring tenant ${tenant}'s storage to ${formatBytes(volumes + images)} (volumes and snapshots ${formatBytes(volumes)}, images ${formatBytes(images)}), over its limit of ${formatBytes(limit)}; the image was removed — free storage or ask for a larger quota`,
    );
  }

  private async checkSources(tenant: string, dockerfile: string, buildArgs: Record<string, string>): Promise<void> {
    const { images, problem } = dockerfileSources(dockerfile, buildArgs);
    if (problem) throw new BuildFailedError(`${problem}: the images a build uses must be known before it starts`);
    for (const image of images) {
      if (checkImageReference(image) || !(await this.deps.access.usable(tenant, image))) {
        throw new BuildFailedError(
          `the Dockerfile builds on ${image}, which was not found among the images this tenant may use (its own builds and pulls, and published images)`,
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
    // The build stops when it runs out of time or its client goes away (the response is closed).
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(new BuildTimeoutError(this.deps.timeoutMs)), this.deps.timeoutMs);
    const gone = () => abort.abort(new Error("the client went away"));
    out.once("close", gone);
    this.checkedBuild(tenant, tag, context, options, (text) => write({ stream: text }), abort.signal)
      .then(
        () => write({ image: tag }),
        (error: Error) => {
          const reason = abort.signal.aborted ? (abort.signal.reason as Error) : error;
          this.logger.info({ tenant, app, err: reason }, "build failed");
          write({
            error:
              reason instanceof BuildFailedError || reason instanceof ApiError || reason instanceof BuildTimeoutError
                ? reason.message
                : `the build failed: ${reason.message}`,
          });
        },
      )
      .finally(() => {
        clearTimeout(timeout);
        out.off("close", gone);
        out.finish();
      });
    return out;
  }
}

/** The build ran longer than MC_BUILD_TIMEOUT. */
class BuildTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the build was stopped after ${timeoutMs / 1000} s: builds may run for at most MC_BUILD_TIMEOUT seconds`);
  }
}
