/** Named laps of one operation, in milliseconds, for the log line that says where its time went. */
export class Stopwatch {
  private last = performance.now();
  readonly laps: Record<string, number> = {};

  lap(name: string): void {
    const now = performance.now();
    this.laps[name] = Math.round((now - this.last) * 10) / 10;
    this.last = now;
  }
}
