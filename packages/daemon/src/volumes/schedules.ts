import { randomUUID } from "node:crypto";
import { ApiError } from "@minicloud/shared";
import { Cron } from "croner";
import type { Logger } from "pino";
import type { AuditLog } from "../audit/log.ts";
import type { EventBus } from "../events/bus.ts";
import type { VolumeRecord } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import { requireVolume } from "./service.ts";
import type { Snapshots } from "./snapshots.ts";

export interface VolumeSchedulesDeps {
  store: Store;
  snapshots: Snapshots;
  events: EventBus;
  auditLog: AuditLog;
  logger: Logger;
}

/** Checks a cron expression (5 fields, or 6 with seconds) and says what is wrong in the user's terms. */
export function checkCron(expression: string): void {
  try {
    new Cron(expression, { paused: true, timezone: "UTC" }).stop();
  } catch (error) {
    throw new ApiError("invalid_input", `cron: ${(error as Error).message} — e.g. "0 3 * * *" (03:00 UTC daily)`, [
      { field: "cron", message: "must be a cron expression" },
    ]);
  }
}

/**
 * Snapshots on a schedule (croner, UTC), pruned to the newest `keep` scheduled ones. Schedules
 * live in the state, so they survive restarts; a run missed while the daemon was down is taken at
 * start. Every run is an event and an audit entry; a failed one says why.
 */
export class VolumeSchedules {
  private readonly deps: VolumeSchedulesDeps;
  private readonly jobs = new Map<string, Cron>();

  constructor(deps: VolumeSchedulesDeps) {
    this.deps = deps;
  }

  private key(record: VolumeRecord): string {
    return `${record.tenant}/${record.name}`;
  }

  async set(tenant: string, name: string, cron: string, keep: number): Promise<VolumeRecord> {
    checkCron(cron);
    const record = requireVolume(this.deps.store.state, tenant, name);
    await this.deps.store.update(() => {
      record.schedule = { cron, keep, lastRunAt: new Date().toISOString(), lastError: null };
    });
    this.arm(record);
    return record;
  }

  async clear(tenant: string, name: string): Promise<VolumeRecord> {
    const record = requireVolume(this.deps.store.state, tenant, name);
    this.jobs.get(this.key(record))?.stop();
    this.jobs.delete(this.key(record));
    await this.deps.store.update(() => {
      record.schedule = null;
    });
    return record;
  }

  nextRunOf(record: VolumeRecord): string | null {
    return this.jobs.get(this.key(record))?.nextRun()?.toISOString() ?? null;
  }

  /** Arms every schedule; those whose run fell while the daemon was down run now. */
  start(): void {
    for (const record of this.deps.store.state.volumes) {
      if (!record.schedule) continue;
      this.arm(record);
      const missed = new Cron(record.schedule.cron, { paused: true, timezone: "UTC" }).nextRun(
        new Date(record.schedule.lastRunAt ?? record.createdAt),
      );
      if (missed && missed.getTime() <= Date.now()) void this.run(record);
    }
  }

  stop(): void {
    for (const job of this.jobs.values()) job.stop();
    this.jobs.clear();
  }

  /** Forgets a volume's job (the volume is gone). */
  forget(tenant: string, name: string): void {
    this.jobs.get(`${tenant}/${name}`)?.stop();
    this.jobs.delete(`${tenant}/${name}`);
  }

  private arm(record: VolumeRecord): void {
    this.jobs.get(this.key(record))?.stop();
    if (!record.schedule) return;
    // protect: a run still going when the next is due is not started twice.
    const job = new Cron(record.schedule.cron, { timezone: "UTC", protect: true }, () => this.run(record));
    this.jobs.set(this.key(record), job);
  }

  private async run(record: VolumeRecord): Promise<void> {
    const schedule = record.schedule;
    if (!schedule || !this.deps.store.state.volumes.includes(record)) return;
    const target = `volumes/${record.name}`;
    try {
      const snapshot = await this.deps.snapshots.take(record.tenant, record.name, "scheduled", `schedule ${schedule.cron}`);
      const pruned = await this.deps.snapshots.prune(record, "scheduled", schedule.keep);
      await this.deps.store.update(() => {
        schedule.lastRunAt = new Date().toISOString();
        schedule.lastError = null;
      });
      if (pruned.length > 0) {
        this.deps.events.publish({
          tenant: record.tenant,
          app: undefined,
          type: "volume.snapshots_pruned",
          message: `${pruned.length} scheduled snapshot(s) of ${record.name} pruned (keeping ${schedule.keep})`,
          data: { volume: record.name, pruned },
        });
      }
      await this.audit(record, target, { status: 201, code: null }, snapshot.id);
    } catch (error) {
      const reason = (error as Error).message;
      this.deps.logger.warn({ tenant: record.tenant, volume: record.name, err: error }, "scheduled snapshot failed");
      await this.deps.store.update(() => {
        schedule.lastRunAt = new Date().toISOString();
        schedule.lastError = reason;
      });
      this.deps.events.publish({
        tenant: record.tenant,
        app: undefined,
        type: "volume.snapshot_failed",
        message: `scheduled snapshot of ${record.name} failed: ${reason}`,
        data: { volume: record.name, reason },
      });
      await this.audit(record, target, {
        status: error instanceof ApiError ? error.status : 500,
        code: error instanceof ApiError ? error.code : "internal",
      });
    }
  }

  private async audit(record: VolumeRecord, target: string, outcome: { status: number; code: string | null }, snapshot?: string) {
    await this.deps.auditLog.append({
      requestId: randomUUID(),
      actor: { role: "system", tenant: null, keyId: null, transport: "internal" },
      action: "scheduled snapshot",
      tenant: record.tenant,
      target: snapshot ? `${target}/snapshots/${snapshot}` : target,
      outcome,
    });
  }
}
