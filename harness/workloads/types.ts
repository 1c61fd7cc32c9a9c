// A workload pairs a generator of client operations with the checkers that judge them.
import type { Op } from "../../histories/op.ts";
import type { CheckResult } from "../../checkers/types.ts";
import type { Completion } from "../../targets/types.ts";
import type { Gen, OpSpec } from "../generator/gen.ts";

export interface CheckBudget {
  timeLimitMs: number;
  memoryLimitMb: number;
}

export interface Workload {
  name: string;
  description: string;
  /** Client ops of the main phase (endless; the run's time limit ends it). */
  generator(): Gen;
  /** The ops of the final phase, after every fault is healed: one read of every key. */
  finalReads(): OpSpec[];
  /** What `faultline check` needs to re-check a stored run: written to test.json as `checker`. */
  checkerSpec: Record<string, unknown>;
  /** Turn a target's raw answer into what the op means for this workload (e.g. a read of a
   *  missing key is an ok read of nothing). Optional. */
  interpret?(op: OpSpec, completion: Completion): Completion;
  /** Judge a history: one CheckResult per checker, by name. */
  check(history: Op[], budget: CheckBudget): Promise<Record<string, CheckResult>>;
}
