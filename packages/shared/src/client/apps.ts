import type { Readable } from "node:stream";
import type { App, AppList, DeployRequest, DeployResult, Release, ScaleRequest } from "../schemas/apps.ts";
import type { PlatformEvent } from "../schemas/events.ts";
import type { Ok, Query, Transport } from "./transport.ts";

export interface LogsOptions {
  follow?: boolean;
  tail?: number | undefined;
  since?: string | undefined;
  grep?: string | undefined;
  instance?: string | undefined;
  release?: number | undefined;
}

/** Apps of the caller's tenant (or of `tenant` for an admin). */
export class AppsClient {
  private readonly transport: Transport;
  private readonly scope: () => Query;

  constructor(transport: Transport, scope: () => Query) {
    this.transport = transport;
    this.scope = scope;
  }

  list(): Promise<AppList> {
    return this.transport.json<AppList>("GET", "/v1/apps", { query: this.scope() });
  }

  get(name: string): Promise<App> {
    return this.transport.json<App>("GET", `/v1/apps/${encodeURIComponent(name)}`, { query: this.scope() });
  }

  deploy(request: DeployRequest): Promise<DeployResult> {
    return this.transport.json<DeployResult>("POST", "/v1/apps", { body: request, query: this.scope() });
  }

  action(name: string, action: "start" | "stop" | "restart"): Promise<App> {
    return this.transport.json<App>("POST", `/v1/apps/${encodeURIComponent(name)}/${action}`, {
      query: this.scope(),
    });
  }

  async destroy(name: string): Promise<void> {
    await this.transport.json<Ok>("DELETE", `/v1/apps/${encodeURIComponent(name)}`, { query: this.scope() });
  }

  /** Sends a tar'ed build context; the answer is the build's output as NDJSON, ending in `image` or `error`. */
  build(
    name: string,
    context: Readable,
    options: { dockerfile?: string | undefined; noCache?: boolean | undefined; buildArgs?: Record<string, string> | undefined } = {},
  ): Promise<Readable> {
    return this.transport.stream("POST", `/v1/apps/${encodeURIComponent(name)}/builds`, {
      body: context,
      headers: { "content-type": "application/x-tar" },
      query: {
        ...this.scope(),
        dockerfile: options.dockerfile,
        noCache: options.noCache ? true : undefined,
        buildArgs: options.buildArgs && Object.keys(options.buildArgs).length > 0 ? JSON.stringify(options.buildArgs) : undefined,
      },
    });
  }

  scale(name: string, change: ScaleRequest): Promise<App> {
    return this.transport.json<App>("POST", `/v1/apps/${encodeURIComponent(name)}/scale`, { body: change, query: this.scope() });
  }

  async releases(name: string): Promise<Release[]> {
    return (
      await this.transport.json<{ releases: Release[] }>("GET", `/v1/apps/${encodeURIComponent(name)}/releases`, { query: this.scope() })
    ).releases;
  }

  rollback(name: string, version?: number): Promise<App> {
    return this.transport.json<App>("POST", `/v1/apps/${encodeURIComponent(name)}/rollback`, {
      body: version === undefined ? {} : { version },
      query: this.scope(),
    });
  }

  async events(options: { app?: string | undefined; limit?: number | undefined } = {}): Promise<PlatformEvent[]> {
    return (
      await this.transport.json<{ events: PlatformEvent[] }>("GET", "/v1/events", {
        query: { ...this.scope(), app: options.app, limit: options.limit },
      })
    ).events;
  }

  /** History, then live events as NDJSON, until the stream is closed. */
  followEvents(options: { app?: string | undefined; limit?: number | undefined } = {}): Promise<Readable> {
    return this.transport.stream("GET", "/v1/events", { query: { ...this.scope(), app: options.app, limit: options.limit, follow: true } });
  }

  logs(name: string, options: LogsOptions = {}): Promise<Readable> {
    return this.transport.stream("GET", `/v1/apps/${encodeURIComponent(name)}/logs`, {
      query: {
        ...this.scope(),
        follow: options.follow ?? false,
        tail: options.tail,
        since: options.since,
        grep: options.grep,
        instance: options.instance,
        release: options.release,
      },
    });
  }
}
