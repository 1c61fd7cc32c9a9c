// The checker contract: a named function from a history (and options) to a CheckResult, plus
// the lines that explain that result to a person. Checkers never touch Docker; they run on a
// stored or imported history alone. See docs/checkers.md, "Adding a checker".
import type { Op } from "../histories/op.ts";
import type { CheckResult } from "./types.ts";

/** Budget every checker is given; a checker that runs out answers "unknown", never crashes. */
export type CheckBudget = {
  /** Past this the verdict is "unknown". */
  timeLimitMs?: number;
  /** Memory the checker's own tables may hold. */
  memoryLimitMb?: number;
};

/** Options of one checker: its own (from the workload or the command line) and the budget. */
export type CheckerOptions = CheckBudget & Record<string, unknown>;

export interface Checker {
  /** The registry name: `linearizable`, `broadcast`, ... */
  name: string;
  /** One line for `faultline check --help` and the docs. */
  description: string;
  check(history: Op[], options: CheckerOptions): Promise<CheckResult>;
  /** True when a violation this checker finds in a prefix of a history (its pending
   *  invocations counted as info) is a violation of every history that extends it: such a
   *  checker also runs while the run goes on (live verdicts, `--stop-on-violation`). Checkers
   *  that judge final reads or eventual properties leave it unset. */
  prefixClosed?: boolean;
  /** True when ops with different `key` fields are judged independently (a key's ops can be
   *  checked alone, with the same verdict): a long run's live check then judges a key once
   *  it is retired and lets its ops go. */
  independentKeys?: boolean;
  /** A few console lines that explain the result: what was checked, and for a violation
   *  which operations break which property. */
  explain(result: CheckResult): string[];
}

/** How a run names the checkers that judge it (stored in test.json as `checkers`), so that
 *  `faultline check <run dir>` can check the history again from test.json alone. */
export interface CheckerSpec {
  /** A name from the registry (checkers/index.ts). */
  checker: string;
  /** The key of its result in results.json; defaults to the checker's name. */
  as?: string;
  options?: Record<string, unknown>;
}
