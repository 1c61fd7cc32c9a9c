// Verdicts while the run goes on. Every few seconds the ops recorded since the last check go to
// a thread of their own (live-check-worker.ts), which checks the whole history so far with the
// run's prefix-closed checkers: a violation in a prefix stays a violation however the run goes
// on, so a verdict of INVALID here is final. The progress line shows the verdict so far; with
// --stop-on-violation the first violation ends the main phase (execute.ts).
//
// Each check covers the history from its first op (a re-check, not a window), except that
// when the checkers judge keys independently, a key the workload has retired is judged one
// last time and let go (live-check-worker.ts): lin-kv moves to fresh keys every two minutes,
// so an hour-long run's check and memory stay bounded. Checks never overlap: the next is
// scheduled when one ends.
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { getChecker, type CheckBudget, type CheckerSpec } from "../../checkers/index.ts";
import type { Op, Recorder } from "../../histories/op.ts";
import { bundle } from "../../targets/host/bundle.ts";
import type { LiveCheckReply, LiveCheckRequest } from "./live-check-worker.ts";

export interface LiveViolation {
  /** Run-clock ms when the check that found it finished. */
  atMs: number;
  /** Ops in the prefix that was checked. */
  ops: number;
  violated: string[];
  explanation: string[];
}

/** What the live check did, for results.json. */
export interface LiveCheckStats {
  checks: number;
  /** Ops in the last prefix checked. */
  lastOps: number;
  /** Ops the check held at its last check (retired keys' ops let go), and the most it held. */
  heldOps: number;
  maxHeldOps: number;
  /** Keys judged for the last time and let go. */
  retiredKeys: number;
  /** The longest single check, ms. */
  slowestMs: number;
}

export interface LiveCheckOptions {
  /** Ms between checks at the least. After a slow check the pause is twice its length, so
   *  checking never takes more than a third of a core from the system under test. */
  everyMs: number;
  budget: CheckBudget;
  /** The run clock's ms. */
  nowMs(): number;
  onViolation(violation: LiveViolation): void;
}

/** A key with no op invoked for this long (run clock) and none in flight is retired: judged
 *  once more and let go. Longer than any client timeout plus the workers' grace, so no late
 *  completion can follow. */
export const RETIRE_AFTER_NS = 30e9;

const WORKER_ENTRY = fileURLToPath(new URL("./live-check-worker.ts", import.meta.url));

/** The specs whose checkers may judge a prefix of a run. */
export function prefixClosedSpecs(specs: CheckerSpec[]): CheckerSpec[] {
  return specs.filter((s) => getChecker(s.checker).prefixClosed === true);
}

export class LiveCheck {
  private unsent: Op[] = [];
  private busy = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private latest: LiveCheckReply | undefined;
  private failure: string | undefined;
  private violation: LiveViolation | undefined;
  readonly stats: LiveCheckStats = {
    checks: 0,
    lastOps: 0,
    heldOps: 0,
    maxHeldOps: 0,
    retiredKeys: 0,
    slowestMs: 0,
  };

  private constructor(
    private readonly worker: Worker,
    private readonly options: LiveCheckOptions,
  ) {
    worker.on("message", (reply: LiveCheckReply) => this.receive(reply));
    // A live check that breaks must not break the run: the verdict after the run decides.
    worker.on("error", (err) => {
      this.failure = err.message;
      this.busy = false;
    });
  }

  /** A live check of `specs`' prefix-closed checkers; undefined when none is. */
  static async start(
    specs: CheckerSpec[],
    options: LiveCheckOptions,
  ): Promise<LiveCheck | undefined> {
    const live = prefixClosedSpecs(specs);
    if (live.length === 0) return undefined;
    // Bundled to plain JavaScript: a worker thread does not inherit the TypeScript loader.
    const code = await bundle(WORKER_ENTRY);
    const worker = new Worker(code, {
      eval: true,
      workerData: { specs: live, budget: options.budget, retireAfterNs: RETIRE_AFTER_NS },
    });
    worker.unref();
    return new LiveCheck(worker, options);
  }

  /** Wraps `recorder` so that every op it records is also kept for the next check. */
  tee(recorder: Recorder): Recorder {
    return {
      append: (op) => {
        const full = recorder.append(op);
        this.unsent.push(full);
        return full;
      },
    };
  }

  /** Starts checking: the first check in `everyMs`. */
  run(): void {
    this.schedule(this.options.everyMs);
  }

  /** The verdict so far, for the progress line. */
  status(): string {
    if (this.violation)
      return `check: INVALID (${this.violation.violated.join(", ")}) at ${(this.violation.atMs / 1000).toFixed(0)}s`;
    if (this.failure) return `check: failed (${this.failure})`;
    if (!this.latest) return "check: pending";
    const verdict = this.latest.valid === true ? "no violation" : "unknown";
    return `check: ${verdict} in ${this.latest.ops} ops`;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.stopped = true;
    await this.worker.terminate();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.send(), ms);
    this.timer.unref();
  }

  private send(): void {
    if (this.busy || this.violation || this.failure || this.stopped) return;
    this.busy = true;
    const request: LiveCheckRequest = { ops: this.unsent };
    this.unsent = [];
    this.worker.postMessage(request);
  }

  private receive(reply: LiveCheckReply): void {
    this.busy = false;
    this.latest = reply;
    this.stats.checks++;
    this.stats.lastOps = reply.ops;
    this.stats.heldOps = reply.held;
    this.stats.maxHeldOps = Math.max(this.stats.maxHeldOps, reply.held);
    this.stats.retiredKeys = reply.retiredKeys;
    this.stats.slowestMs = Math.max(this.stats.slowestMs, Math.round(reply.elapsedMs));
    if (reply.valid !== false) this.schedule(Math.max(this.options.everyMs, 2 * reply.elapsedMs));
    if (reply.valid !== false || this.violation) return;
    this.violation = {
      atMs: this.options.nowMs(),
      ops: reply.ops,
      violated: reply.violated,
      explanation: reply.explanation,
    };
    this.options.onViolation(this.violation);
  }
}
