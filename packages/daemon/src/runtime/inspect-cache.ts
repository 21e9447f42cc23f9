import type { Runtime, RuntimeInstance } from "./runtime.ts";

/**
 * What the engine last said about each container, kept until an engine event about it (start,
 * die, destroy) or a change the daemon makes invalidates it, or `ttlMs` passes as a safety net.
 * Listing apps then costs memory lookups instead of one engine round trip per instance.
 */
export class InspectCache {
  private readonly runtime: Runtime;
  private readonly ttlMs: number;
  private readonly entries = new Map<string, { at: number; value: Promise<RuntimeInstance | undefined> }>();
  private changes = 0;

  constructor(runtime: Runtime, ttlMs: number) {
    this.runtime = runtime;
    this.ttlMs = ttlMs;
  }

  get(containerId: string): Promise<RuntimeInstance | undefined> {
    const now = Date.now();
    const cached = this.entries.get(containerId);
    if (cached && now - cached.at < this.ttlMs) return cached.value;
    const value = this.runtime.inspectInstance(containerId);
    this.entries.set(containerId, { at: now, value });
    // A new answer may differ from the one it replaces; a failed look is not remembered.
    value.then(
      () => this.changes++,
      () => {
        this.entries.delete(containerId);
        this.changes++;
      },
    );
    return value;
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
}
