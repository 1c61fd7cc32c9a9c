// No false comfort: a history in which some kind of operation never succeeded proves nothing
// about that kind (0 ok reads check no read), so the run is "unknown" with that reason, never
// valid. It finds no violations; it only withholds a true verdict.
import type { Op } from "../../histories/op.ts";
import type { Checker, CheckerOptions } from "../checker.ts";
import type { CheckResult } from "../types.ts";

export interface ProgressResult extends CheckResult {
  /** Per operation kind: invoked, and completed ok. */
  byFunction: Record<string, { invoked: number; ok: number }>;
  /** Kinds that were invoked but never succeeded. */
  neverOk: string[];
}

export function checkProgress(history: Op[], options: CheckerOptions = {}): ProgressResult {
  const ignore = new Set(Array.isArray(options.ignore) ? (options.ignore as string[]) : []);
  const byFunction: ProgressResult["byFunction"] = {};
  for (const op of history) {
    if (op.process === "nemesis" || ignore.has(op.f)) continue;
    const entry = (byFunction[op.f] ??= { invoked: 0, ok: 0 });
    if (op.type === "invoke") entry.invoked++;
    else if (op.type === "ok") entry.ok++;
  }
  const kinds = Object.keys(byFunction).sort();
  const neverOk = kinds.filter((f) => byFunction[f]!.ok === 0);
  if (kinds.length === 0)
    return {
      valid: "unknown",
      reason: "the history has no client operations",
      byFunction,
      neverOk,
    };
  if (neverOk.length > 0) {
    const what = neverOk
      .map((f) => `no ${f} ever succeeded (0 ok of ${byFunction[f]!.invoked})`)
      .join("; ");
    return {
      valid: "unknown",
      reason: `${what}: nothing was shown about them`,
      byFunction,
      neverOk,
    };
  }
  const summary = kinds.map((f) => `${byFunction[f]!.ok} ${f}`).join(", ");
  return {
    valid: true,
    reason: `every kind of operation succeeded: ${summary} ok`,
    byFunction,
    neverOk,
  };
}

export const progressChecker: Checker = {
  name: "progress",
  description:
    "every kind of client operation succeeded at least once (else unknown: nothing was shown)",
  check: async (history, options) => checkProgress(history, options),
  explain(result) {
    const r = result as ProgressResult;
    if (!r.byFunction) return [];
    return Object.entries(r.byFunction).map(
      ([f, c]) =>
        `${f}: ${c.ok} ok of ${c.invoked} invoked${c.ok === 0 ? "  <- never succeeded" : ""}`,
    );
  },
};
