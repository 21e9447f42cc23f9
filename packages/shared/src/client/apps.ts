import type { Readable } from "node:stream";
import { z } from "zod";
import { type App, type AppList, appListSchema, appSchema, type DeployRequest } from "../schemas/apps.ts";
import type { Query, Transport } from "./transport.ts";

const okSchema = z.object({ ok: z.literal(true) });

export interface LogsOptions {
  follow?: boolean;
  tail?: number | undefined;
  since?: string | undefined;
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
    return this.transport.json("GET", "/v1/apps", appListSchema, { query: this.scope() });
  }

  get(name: string): Promise<App> {
    return this.transport.json("GET", `/v1/apps/${encodeURIComponent(name)}`, appSchema, { query: this.scope() });
  }

  deploy(request: DeployRequest): Promise<App> {
    return this.transport.json("POST", "/v1/apps", appSchema, { body: request, query: this.scope() });
  }

  action(name: string, action: "start" | "stop" | "restart"): Promise<App> {
    return this.transport.json("POST", `/v1/apps/${encodeURIComponent(name)}/${action}`, appSchema, {
      query: this.scope(),
    });
  }

  async destroy(name: string): Promise<void> {
    await this.transport.json("DELETE", `/v1/apps/${encodeURIComponent(name)}`, okSchema, { query: this.scope() });
  }

  logs(name: string, options: LogsOptions = {}): Promise<Readable> {
    return this.transport.stream("GET", `/v1/apps/${encodeURIComponent(name)}/logs`, {
      query: { ...this.scope(), follow: options.follow ?? false, tail: options.tail, since: options.since },
    });
  }
}
