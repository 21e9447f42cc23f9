/**
 * Runs `work` at most once at a time; calls made while it runs share one follow-up run, so a burst
 * of changes costs two runs, not one per change, and every caller sees a run that started after it asked.
 */
export class Coalescer {
  private readonly work: () => Promise<void>;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(work: () => Promise<void>) {
    this.work = work;
  }

  run(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.launch();
    this.queued = this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.launch();
      });
    return this.queued;
  }

  private launch(): Promise<void> {
    const run = this.work().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}
