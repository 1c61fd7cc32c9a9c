// Several checkers as one: each runs on the same history, and the composition's verdict is
// their merge (checkers/verdict.ts). An empty composition is unknown: nothing was checked.
import { UserError } from "../core/errors.ts";
import type { Op } from "../histories/op.ts";
import type { CheckBudget, Checker, CheckerSpec } from "./checker.ts";
import type { CheckResult, Verdict } from "./types.ts";
import { mergeVerdicts } from "./verdict.ts";

export interface ComposedResult extends CheckResult {
  /** One result per checker, by its `as` name (or its checker name). */
  results: Record<string, CheckResult>;
}

/** The key of a spec's result in results.json. */
export function resultName(spec: CheckerSpec): string {
  return spec.as ?? spec.checker;
}

/** A checker that runs `specs` (resolved by `lookup`) and merges their verdicts. */
export function compose(specs: CheckerSpec[], lookup: (name: string) => Checker): Checker {
  const resolved = specs.map((spec) => ({ spec, checker: lookup(spec.checker) }));
  return {
    name: "compose",
    description: `all of: ${specs.map(resultName).join(", ") || "(none)"}`,
    async check(history: Op[], budget: CheckBudget): Promise<ComposedResult> {
      const results: Record<string, CheckResult> = {};
      for (const { spec, checker } of resolved) {
        try {
          results[resultName(spec)] = await checker.check(history, {
            ...budget,
            ...spec.options,
          });
        } catch (err) {
          // Bad options (an unknown model, say) are the user's to fix: one clear sentence.
          if (err instanceof UserError) throw err;
          // A checker that crashes decides nothing; the others still count.
          results[resultName(spec)] = {
            valid: "unknown",
            reason: `the ${checker.name} checker failed: ${err instanceof Error ? err.message : String(err)}`,
          };
        }
      }
      const valid = mergeVerdicts(Object.values(results).map((r) => r.valid));
      return {
        valid,
        reason: summarize(valid, results),
        results,
      };
    },
    explain(result: CheckResult): string[] {
      const results = (result as ComposedResult).results ?? {};
      return Object.entries(results).flatMap(([name, r]) => {
        const checker = resolved.find(({ spec }) => resultName(spec) === name)?.checker;
        const lines = safe(() => checker?.explain(r) ?? []);
        return [`${name}: ${verdictWord(r.valid)}${r.reason ? ` (${r.reason})` : ""}`].concat(
          // Valid results need no more than their one line.
          r.valid === true ? [] : lines.map((l) => `  ${l}`),
        );
      });
    },
  };
}

function summarize(valid: Verdict, results: Record<string, CheckResult>): string {
  const names = Object.keys(results);
  if (names.length === 0) return "no checker was run";
  const bad = names.filter((n) => results[n]!.valid === false);
  if (bad.length > 0) return `violated: ${bad.join(", ")}`;
  const unknown = names.filter((n) => results[n]!.valid !== true);
  if (valid !== true) return `undecided: ${unknown.join(", ")}`;
  return `all ${names.length} checker(s) passed`;
}

export function verdictWord(v: Verdict): string {
  return v === true ? "valid" : v === false ? "INVALID" : "unknown";
}

function safe(fn: () => string[]): string[] {
  try {
    return fn();
  } catch {
    return [];
  }
}
