// The atomic-commit checker (docs/atomic-commit.md): a history of `txn` and `states` ops, and
// the nemesis's faults, judged for agreement, no reversal, commit validity, non-triviality and
// termination; blocking is measured beside them. Each step is a module of its own:
// parse.ts (ops -> transactions and states reports), faults.ts (nemesis -> fault windows,
// coordinator downtime), observe.ts (reports -> what each node said of each transaction),
// properties.ts (the verdict), blocking.ts (the measure), explain.ts (console lines).
import { UserError } from "../../core/errors.ts";
import type { Op } from "../../histories/op.ts";
import type { Checker, CheckerOptions } from "../checker.ts";
import { firstFew, maxReported } from "../elements.ts";
import { byNodeName } from "../final-reads.ts";
import type { CheckResult } from "../types.ts";
import { measureBlocking } from "./blocking.ts";
import { explainAtomicCommit } from "./explain.ts";
import { activeIntervals, downIntervals, faultWindows } from "./faults.ts";
import { observe } from "./observe.ts";
import { parseHistory } from "./parse.ts";
import { judge } from "./properties.ts";
import type { AtomicCommitResult } from "./result.ts";

export type { AtomicCommitResult } from "./result.ts";

function coordinatorOf(options: CheckerOptions): string {
  const c = options.coordinator ?? "n1";
  if (typeof c !== "string" || c === "")
    throw new UserError(
      `The atomic-commit checker's option "coordinator" must be a node name, not ${JSON.stringify(c)}.`,
    );
  return c;
}

export function checkAtomicCommit(
  history: Op[],
  options: CheckerOptions = {},
): AtomicCommitResult | CheckResult {
  const coordinator = coordinatorOf(options);
  const report = maxReported(options);
  const parsed = parseHistory(history);
  const txns = [...parsed.txns.values()];
  const decided = txns.filter((t) => t.outcome !== "unknown").length;
  if (decided === 0 && parsed.reports.length === 0)
    return {
      valid: "unknown",
      reason: `nothing to judge: no transaction completed (${txns.length} invoked) and no node answered a states query`,
    };

  const windows = faultWindows(history);
  const seen = observe(parsed.reports);
  const props = judge(parsed.txns, seen, coordinator, activeIntervals(windows, parsed.endMs));
  const down = downIntervals(windows, coordinator, parsed.endMs);
  const t = props.termination;
  const result: AtomicCommitResult = {
    valid: true,
    coordinator,
    transactions: {
      total: txns.length,
      committed: txns.filter((x) => x.outcome === "commit").length,
      aborted: txns.filter((x) => x.outcome === "abort").length,
      unknown: txns.length - decided,
    },
    reports: {
      total: parsed.reports.length,
      final: parsed.reports.filter((r) => r.final).length,
      nodes: [...seen.roles.keys()].sort(byNodeName),
    },
    malformed: { count: parsed.malformed.length, ops: firstFew(parsed.malformed, report) },
    duplicateIds: firstFew(parsed.duplicateIds, report),
    faults: windows.length,
    agreement: {
      valid: props.agreement.length === 0,
      violations: props.agreement.length,
      txns: firstFew(props.agreement, report),
    },
    noReversal: {
      valid: props.reversals.length === 0,
      violations: props.reversals.length,
      reversals: firstFew(props.reversals, report),
    },
    commitValidity: {
      valid: props.commitValidity.length === 0,
      violations: props.commitValidity.length,
      txns: firstFew(props.commitValidity, report),
    },
    commitFromReady: {
      valid: props.commitFromReady.length === 0,
      violations: props.commitFromReady.length,
      commits: firstFew(props.commitFromReady, report),
    },
    nonTriviality: {
      valid: props.nonTriviality.violations.length === 0,
      judged: props.nonTriviality.judged,
      excludedByFaults: props.nonTriviality.excludedByFaults,
      excludedAsLateVotes: props.nonTriviality.excludedAsLateVotes,
      excludedAsTimeouts: props.nonTriviality.excludedAsTimeouts,
      excludedAsAbortVotes: props.nonTriviality.excludedAsAbortVotes,
      violations: props.nonTriviality.violations.length,
      txns: firstFew(props.nonTriviality.violations, report),
    },
    termination: {
      valid: t.violations.length > 0 ? false : t.withoutFinalReport.length > 0 ? "unknown" : true,
      judgedNodes: t.judged,
      nodesWithoutFinalReport: t.withoutFinalReport,
      violations: t.violations.length,
      undecided: firstFew(t.violations, report),
    },
    blocking: measureBlocking(seen, coordinator, down, parsed.endMs),
  };

  const counts: [string, number][] = [
    ["agreement", result.agreement.violations],
    ["no reversal", result.noReversal.violations],
    ["commit validity", result.commitValidity.violations],
    ["commit from READY", result.commitFromReady.violations],
    ["non-triviality", result.nonTriviality.violations],
    ["termination", result.termination.violations],
  ];
  // On a prefix of a run still going (`live`), only the properties whose violations no later
  // op can undo decide: a later states report may show a vote came late (non-triviality), and
  // termination is judged on the final reports.
  const undoable = new Set(["non-triviality", "termination"]);
  const broken = counts.filter(([p, n]) => n > 0 && !(options.live === true && undoable.has(p)));
  const undecidedWhy: string[] = [];
  if (parsed.malformed.length > 0)
    undecidedWhy.push(`${parsed.malformed.length} ops do not have the expected shape`);
  if (parsed.duplicateIds.length > 0)
    undecidedWhy.push(
      `${parsed.duplicateIds.length} txn ids are used more than once, so reports cannot be tied to one transaction`,
    );
  if (t.withoutFinalReport.length > 0)
    undecidedWhy.push(
      `no final states report from ${t.withoutFinalReport.join(", ")}: termination is unknown there`,
    );
  if (broken.length > 0) {
    result.valid = false;
    result.reason = `violated: ${broken.map(([p, n]) => `${p} (${n})`).join(", ")}`;
  } else if (undecidedWhy.length > 0) {
    result.valid = "unknown";
    result.reason = undecidedWhy.join("; ");
  } else {
    const x = result.transactions;
    result.reason = `${x.total} transactions (${x.committed} committed, ${x.aborted} aborted, ${x.unknown} unknown) decided alike everywhere; all ${t.judged.length} participants decided by their final report; ${blockingSummary(result)}`;
  }
  return result;
}

/** Blocking in one clause, for a valid verdict's reason: it is reported, never hidden. */
function blockingSummary(r: AtomicCommitResult): string {
  const b = r.blocking;
  if (b.count === 0) return "no participant was seen READY";
  return `blocking: ${b.count} READY spans, median ${b.medianMs} ms, max ${b.maxMs} ms, ${Math.round(b.coordinatorDownMs)} ms of them with ${r.coordinator} down`;
}

export const atomicCommitChecker: Checker = {
  name: "atomic-commit",
  prefixClosed: true,
  description:
    "two-phase commit: agreement, no reversal, commit validity, commit from READY, non-triviality, termination; blocking measured",
  check: async (history, options) => checkAtomicCommit(history, options),
  explain: explainAtomicCommit,
};
