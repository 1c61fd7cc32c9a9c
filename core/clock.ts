// The one clock of a run: client ops, nemesis ops and the schedule all read it, so times in the
// history and in the plan are comparable. Monotonic, nanoseconds since the run started.

export class RunClock {
  // performance.now() is monotonic with sub-microsecond resolution, and cheaper than
  // hrtime.bigint() on the hot path (three reads per op).
  private readonly origin = performance.now();

  nowNs(): number {
    return RunClock.ns(performance.now() - this.origin);
  }

  /** A time read with elapsedMs, in the history's unit (whole nanoseconds). */
  static ns(elapsedMs: number): number {
    return Math.round(elapsedMs * 1e6);
  }

  elapsedMs(): number {
    return performance.now() - this.origin;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
