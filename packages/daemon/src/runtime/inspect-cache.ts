import type { Runtime, RuntimeInstance } from "./runtime.ts";

interface Entry {
  at: number;
  value: Promise<RuntimeInstance | undefined>;
  refreshing?: boolean;
}

/**
 * What the engine last said about each container, kept until an engine event about it (start,
 * die, destroy) or a change the daemon makes invalidates it. After `ttlMs` an answer is looked up
 * again in the background as a safety net for a missed event; until that lands the last answer is
 * served, so listing apps never waits for the engine (with 200 apps some entry had always expired,
 * and every listing waited for an inspect).
 */
export class InspectCache {
  private readonly runtime: Runtime;
  private readonly ttlMs: number;
  private readonly entries = new Map<string, Entry>();
  private changes = 0;

  constructor(runtime: Runtime, ttlMs: number) {
    this.runtime = runtime;
    this.ttlMs = ttlMs;
  }

  get(containerId: string): Promise<RuntimeInstance | undefined> {
    const cached = this.entries.get(containerId);
    if (!cached) return this.look(containerId);
    if (Date.now() - cached.at >= this.ttlMs && !cached.refreshing) this.refresh(containerId, cached);
    return cached.value;
  }

  /**
   * The cached answer as it is, without the look-up `get` schedules once it is older than `ttlMs`
   * (looked up only when there is none): for a reader that asks about every container every few
   * seconds, such as the metrics sampler, and would otherwise re-inspect each one every `ttlMs`.
   */
  peek(containerId: string): Promise<RuntimeInstance | undefined> {
    return this.entries.get(containerId)?.value ?? this.look(containerId);
  }

  /** Grows whenever what `get` answers may have changed (see Store.revision). */
  get revision(): number {
    return this.changes;
  }

  invalidate(containerId: string): void {
    this.entries.delete(containerId);
    this.changes++;
  }

  clear(): void {
    this.entries.clear();
    this.changes++;
  }

  private look(containerId: string): Promise<RuntimeInstance | undefined> {
    const entry: Entry = { at: Date.now(), value: this.runtime.inspectInstance(containerId) };
    this.entries.set(containerId, entry);
    // A new answer may differ from the one it replaces; a failed look is not remembered.
    entry.value.then(
      () => this.changes++,
      () => this.forget(containerId, entry),
    );
    return entry.value;
  }

  /**
   * Replaces `entry` with a new answer, unless an event replaced or dropped it in the meantime. The
   * revision moves only when the answer differs: these safety-net looks run all the time with many
   * containers, and nearly always confirm what the events said.
   */
  private refresh(containerId: string, entry: Entry): void {
    entry.refreshing = true;
    const value = this.runtime.inspectInstance(containerId);
    Promise.all([entry.value, value]).then(
      ([before, after]) => {
        if (this.entries.get(containerId) !== entry) return;
        this.entries.set(containerId, { at: Date.now(), value });
        if (!sameObservation(before, after)) this.changes++;
      },
      () => this.forget(containerId, entry),
    );
  }

  private forget(containerId: string, entry: Entry): void {
    if (this.entries.get(containerId) === entry) this.entries.delete(containerId);
    this.changes++;
  }
}

function sameObservation(a: RuntimeInstance | undefined, b: RuntimeInstance | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.state === b.state && a.ip === b.ip && a.startedAt === b.startedAt && a.exitCode === b.exitCode && a.restartCount === b.restartCount
  );
}
