// Stage "analyze": a history and the checkers named for it -> verdict, results and the lines
// that explain them. Runs offline: `faultline run` calls it after the run, `faultline check`
// on a stored or imported history.
import type { Op } from "../../histories/op.ts";
import {
  composeSpecs,
  type CheckBudget,
  type CheckerSpec,
  type CheckResult,
  type ComposedResult,
  type Verdict,
} from "../../checkers/index.ts";

export interface Analysis {
  verdict: Verdict;
  /** One result per checker, by name (results.json's `results`). */
  results: Record<string, CheckResult>;
  /** Console lines: each checker's verdict, and for the ones not valid, why. */
  explanation: string[];
  /** How long the checkers took, ms. */
  elapsedMs?: number;
}

/** Check `history` with every checker of `specs` (unknown checker names throw a UserError). */
export async function analyze(
  history: Op[],
  specs: CheckerSpec[],
  budget: CheckBudget = {},
): Promise<Analysis> {
  const started = performance.now();
  const checker = composeSpecs(specs);
  const composed = (await checker.check(history, budget)) as ComposedResult;
  return {
    verdict: composed.valid,
    results: composed.results,
    explanation: checker.explain(composed),
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** The analysis of a run that could not be checked: one "run" result saying why. */
export function notChecked(reason: string): Analysis {
  return {
    verdict: "unknown",
    results: { run: { valid: "unknown", reason } },
    explanation: [`run: unknown (${reason})`],
  };
}
