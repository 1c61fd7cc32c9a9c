// The time and memory a check may use. Past either, the search stops and the verdict is
// "unknown" with the reason: a slow or huge check never hangs or dies of out-of-memory.
import v8 from "node:v8";

export const DEFAULT_TIME_LIMIT_MS = 60_000;
export const DEFAULT_MEMORY_LIMIT_MB = 1024;

export class Budget {
  /** Estimated bytes held by the current search (memo tables, interned states, caches). */
  memoBytes = 0;
  /** The largest estimate seen, and the largest resident set size measured while checking
   *  (sampled), against the resident set size when the check began: figures to compare. */
  peakMemoBytes = 0;
  rssAtStart = 0;
  peakRss = 0;
  private readonly deadline: number;
  private readonly memoryLimitBytes: number;
  private calls = 0;

  constructor(
    readonly timeLimitMs: number = DEFAULT_TIME_LIMIT_MS,
    readonly memoryLimitMb: number = DEFAULT_MEMORY_LIMIT_MB,
  ) {
    this.deadline = performance.now() + timeLimitMs;
    this.memoryLimitBytes = memoryLimitMb * 1024 * 1024;
  }

  /** The search now holds about `bytes`. */
  holding(bytes: number): void {
    this.memoBytes = bytes;
    if (bytes > this.peakMemoBytes) this.peakMemoBytes = bytes;
  }

  /** Measure the resident set size from here on (after the history is prepared). Reading
   *  it takes a system call: the many small searches of an explanation skip it. */
  startMeasuring(): void {
    this.rssAtStart = this.peakRss = process.memoryUsage.rss();
  }

  /** Why the check must stop now, or undefined while within budget. */
  exceeded(): string | undefined {
    if (performance.now() > this.deadline) {
      return `time limit of ${this.timeLimitMs} ms reached before the search finished (raise --time-limit-ms)`;
    }
    if (this.memoBytes > this.memoryLimitBytes) {
      return `memory limit of ${this.memoryLimitMb} MB reached by the search's memo tables and caches (raise --memory-limit-mb)`;
    }
    // Reading the heap size costs more than the other checks: do it every 16th call.
    if ((++this.calls & 15) === 0) {
      const { heapUsed, rss } = process.memoryUsage();
      if (rss > this.peakRss) this.peakRss = rss;
      if (heapUsed > heapCeiling())
        return `the JavaScript heap is nearly full (${Math.round(heapCeiling() / 1048576)} MB); the history is too hard to check in this process`;
    }
    return undefined;
  }
}

/** Whatever the budget says, stop well before V8's own heap limit. */
let ceiling = 0;
function heapCeiling(): number {
  return (ceiling ||= v8.getHeapStatistics().heap_size_limit * 0.85);
}
