/**
 * Serialises async work per key (a tenant, say): quota check-and-reserve and the steps after it
 * run one at a time per tenant, while different tenants proceed in parallel.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

/** One-at-a-time execution of async work (ordered writes to a file, say): a KeyedMutex with one key. */
export class Serial {
  private readonly mutex = new KeyedMutex();

  run<T>(work: () => Promise<T>): Promise<T> {
    return this.mutex.run("", work);
  }
}
