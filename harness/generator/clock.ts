// The one clock of a run: client ops, nemesis ops and the schedule all read it, so times in the
// history and in the plan are comparable. Monotonic, nanoseconds since the run started.
import type { Op } from "../../histories/op.ts";

export class RunClock {
  private readonly origin = process.hrtime.bigint();

  nowNs(): number {
    return Number(process.hrtime.bigint() - this.origin);
  }

  elapsedMs(): number {
    return this.nowNs() / 1e6;
  }
}

/** Where ops are recorded: the history writer, or a fake in tests. Assigns the index. */
export interface Recorder {
  append(op: Omit<Op, "index">): Op;
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
