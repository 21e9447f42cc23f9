import type { AppMetrics } from "../schemas/metrics.ts";
import type { Query, Transport } from "./transport.ts";

/** Metrics history of the caller's tenant's apps (or of `tenant` for an admin). */
export class MetricsClient {
  private readonly transport: Transport;
  private readonly scope: () => Query;

  constructor(transport: Transport, scope: () => Query) {
    this.transport = transport;
    this.scope = scope;
  }

  app(name: string, options: { since?: string | undefined } = {}): Promise<AppMetrics> {
    return this.transport.json<AppMetrics>("GET", `/v1/apps/${encodeURIComponent(name)}/metrics`, {
      query: { ...this.scope(), since: options.since },
    });
  }
}
