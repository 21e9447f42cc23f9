import type { Readable } from "node:stream";
import type { Snapshot, Volume } from "../schemas/volumes.ts";
import type { Ok, Query, Transport } from "./transport.ts";

const at = (name: string) => `/v1/volumes/${encodeURIComponent(name)}`;

/** Volumes and their snapshots, of the caller's tenant (or of `tenant` for an admin). */
export class VolumesClient {
  private readonly transport: Transport;
  private readonly scope: () => Query;

  constructor(transport: Transport, scope: () => Query) {
    this.transport = transport;
    this.scope = scope;
  }

  async list(): Promise<Volume[]> {
    return (await this.transport.json<{ volumes: Volume[] }>("GET", "/v1/volumes", { query: this.scope() })).volumes;
  }

  get(name: string): Promise<Volume> {
    return this.transport.json<Volume>("GET", at(name), { query: this.scope() });
  }

  /** A new empty volume; `size` as text ("1g") or bytes. */
  create(name: string, size: string | number): Promise<Volume> {
    return this.transport.json<Volume>("POST", "/v1/volumes", { body: { name, size }, query: this.scope() });
  }

  /** A new volume holding a snapshot's data. */
  fork(snapshot: string, name: string): Promise<Volume> {
    return this.transport.json<Volume>("POST", "/v1/volumes", { body: { name, fromSnapshot: snapshot }, query: this.scope() });
  }

  extend(name: string, size: string | number): Promise<Volume> {
    return this.transport.json<Volume>("PATCH", at(name), { body: { size }, query: this.scope() });
  }

  async delete(name: string): Promise<void> {
    await this.transport.json<Ok>("DELETE", at(name), { query: this.scope() });
  }

  async snapshots(name: string): Promise<Snapshot[]> {
    return (await this.transport.json<{ snapshots: Snapshot[] }>("GET", `${at(name)}/snapshots`, { query: this.scope() })).snapshots;
  }

  snapshot(name: string, note?: string): Promise<Snapshot> {
    return this.transport.json<Snapshot>("POST", `${at(name)}/snapshots`, {
      body: note === undefined ? {} : { note },
      query: this.scope(),
    });
  }

  async deleteSnapshot(name: string, snapshot: string): Promise<void> {
    await this.transport.json<Ok>("DELETE", `${at(name)}/snapshots/${encodeURIComponent(snapshot)}`, { query: this.scope() });
  }

  restore(name: string, snapshot: string): Promise<{ volume: Volume; safety: Snapshot }> {
    return this.transport.json("POST", `${at(name)}/restore`, { body: { snapshot }, query: this.scope() });
  }

  schedule(name: string, cron: string, keep: number): Promise<Volume> {
    return this.transport.json<Volume>("PUT", `${at(name)}/schedule`, { body: { cron, keep }, query: this.scope() });
  }

  unschedule(name: string): Promise<Volume> {
    return this.transport.json<Volume>("DELETE", `${at(name)}/schedule`, { query: this.scope() });
  }

  /** A volume (a consistent copy of it now) or a snapshot, as a .tar.zst stream. */
  export(nameOrSnapshot: string): Promise<Readable> {
    return this.transport.stream("GET", `${at(nameOrSnapshot)}/export`, { query: this.scope(), headers: { accept: "application/zstd" } });
  }

  /** A new volume of `size` from an exported .tar.zst. */
  import(name: string, size: string, archive: Readable): Promise<Volume> {
    return this.transport.json<Volume>("POST", `${at(name)}/import`, {
      body: archive,
      headers: { "content-type": "application/zstd" },
      query: { ...this.scope(), size },
    });
  }
}
