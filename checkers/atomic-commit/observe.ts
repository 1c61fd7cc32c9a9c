// What each node said about each transaction, folded over its states reports in order of
// completion: its first decision, whether it ever reported COMMIT, reversals (within one
// report's transitions, or between successive reports), its READY span on the run clock; and
// each node's last final-phase report.
//
// A report whose transitions reach COMMIT with no READY before it is noted too: in the
// participant's state machine COMMIT is entered only from READY, so such a participant either
// committed without voting or lost the record of its vote.
//
// The READY span of a (node, transaction): from its first READY to the first decision after
// it, both read from the first report that holds the two, and mapped onto the run clock with
// that report's offset (so a constant skew cancels out of the duration). While no report holds
// a decision after READY, the span is open, starting at READY as mapped by the latest report
// that shows it; a span still open at the end of the history ends there, undecided.
//
// Why a node aborted (a coordinator's `aborts`, when its reports carry it) is taken from the
// first report that holds it, with how long the node was in WAIT before that ABORT on its own
// clock (from the same report, so no clock mapping enters the figure).
import {
  decisionOf,
  type AbortCause,
  type Decision,
  type StatesReport,
  type Transition,
} from "./parse.ts";

export interface ObservedAbortCause extends AbortCause {
  /** Node-clock ms from its last WAIT to its first ABORT, as the same report holds them. */
  waitedMs?: number;
}

export interface ReadySpan {
  /** Run-clock ms. */
  fromMs: number;
  /** Run-clock ms of the decision; null while (or if) it never came. */
  toMs: number | null;
}

export interface NodeTxn {
  node: string;
  txn: string;
  /** The first decision the node reported. */
  firstDecision?: Decision;
  /** Run-clock ms of that first decision, as the first report holding it maps it. */
  firstDecisionMs?: number;
  /** The decision of the latest report that held one. */
  lastDecision?: Decision;
  everCommitted: boolean;
  ready?: ReadySpan;
  /** A reversal was already reported for this pair. */
  reversed?: boolean;
  /** Op index of the first report whose transitions reach COMMIT with no READY before it: a
   *  participant that committed with no vote on record (judged for participants only). */
  commitWithoutReady?: number;
  /** Why it aborted, if its reports say (a coordinator's `aborts`). */
  abortCause?: ObservedAbortCause;
}

export interface Reversal {
  txn: string;
  node: string;
  from: Decision;
  to: Decision;
  /** Op index of the report where it shows. */
  report: number;
  /** True when one report's transitions hold both; false when successive reports differ. */
  withinReport: boolean;
}

export interface Observations {
  /** By transaction id, then node. */
  byTxn: Map<string, Map<string, NodeTxn>>;
  /** At most one per (node, transaction): the first seen. */
  reversals: Reversal[];
  /** Each node's last final-phase report. */
  finalReport: Map<string, StatesReport>;
  /** Every node that answered a states query, and the role each reported last. */
  roles: Map<string, string | undefined>;
}

export function observe(reports: StatesReport[]): Observations {
  // Per node first: one map lookup per reported transaction.
  const byNode = new Map<string, Map<string, NodeTxn>>();
  const reversals: Reversal[] = [];
  const finalReport = new Map<string, StatesReport>();
  const roles = new Map<string, string | undefined>();

  for (const report of reports) {
    const { node } = report;
    roles.set(node, report.role);
    if (report.final) finalReport.set(node, report);
    let txns = byNode.get(node);
    if (!txns) byNode.set(node, (txns = new Map()));
    for (const txn in report.txns) {
      let seen = txns.get(txn);
      if (!seen) {
        seen = { node, txn, everCommitted: false };
        txns.set(txn, seen);
      }
      const hadReversal = seen.reversed;
      const reversal = foldReport(seen, report, report.txns[txn]!);
      if (reversal && !hadReversal) {
        seen.reversed = true;
        reversals.push(reversal);
      }
    }
  }

  const byTxn = new Map<string, Map<string, NodeTxn>>();
  for (const txns of byNode.values())
    for (const seen of txns.values()) {
      let nodes = byTxn.get(seen.txn);
      if (!nodes) byTxn.set(seen.txn, (nodes = new Map()));
      nodes.set(seen.node, seen);
    }
  return { byTxn, reversals, finalReport, roles };
}

/** Folds one report's transitions for one transaction into what was seen; returns a reversal
 *  if this report shows one. */
function foldReport(
  seen: NodeTxn,
  report: StatesReport,
  transitions: Transition[],
): Reversal | undefined {
  let reversal: Reversal | undefined;
  let first: Decision | undefined;
  let last: Decision | undefined;
  let readyAt = -1;
  let decidedAfterReady = -1;
  let firstAt = -1;
  for (let i = 0; i < transitions.length; i++) {
    const state = transitions[i]![0];
    if (state === "READY" && readyAt < 0) readyAt = i;
    const d = decisionOf(state);
    if (!d) continue;
    if (d === "commit") {
      seen.everCommitted = true;
      if (readyAt < 0 && seen.commitWithoutReady === undefined)
        seen.commitWithoutReady = report.index;
    }
    if (readyAt >= 0 && decidedAfterReady < 0) decidedAfterReady = i;
    if (first === undefined) {
      first = d;
      firstAt = i;
    } else if (d !== first && !reversal) reversal = reversalOf(seen, first, d, report.index, true);
    last = d;
  }
  const cause = report.aborts?.[seen.txn];
  if (cause && seen.abortCause === undefined) seen.abortCause = withWait(cause, transitions);
  if (first !== undefined && seen.firstDecision === undefined) {
    seen.firstDecision = first;
    seen.firstDecisionMs = transitions[firstAt]![1] + report.offsetMs;
  }
  if (last !== undefined) {
    // Successive reports: this one's earliest decision against the previous report's last.
    if (!reversal && seen.lastDecision !== undefined && first !== seen.lastDecision)
      reversal = reversalOf(seen, seen.lastDecision, first!, report.index, false);
    seen.lastDecision = last;
  }

  // The READY span; once closed by a report holding READY and its decision, it stays.
  if (seen.ready?.toMs !== null && seen.ready !== undefined) return reversal;
  const offset = report.offsetMs;
  if (readyAt >= 0) {
    seen.ready = {
      fromMs: transitions[readyAt]![1] + offset,
      toMs: decidedAfterReady >= 0 ? transitions[decidedAfterReady]![1] + offset : null,
    };
  } else if (seen.ready && first !== undefined) {
    // Was READY, and this report shows a decision but no READY any more: it forgot its vote.
    // The span ends at that decision, as this report maps it.
    let i = 0;
    while (decisionOf(transitions[i]![0]) === undefined) i++;
    seen.ready.toMs = Math.max(seen.ready.fromMs, transitions[i]![1] + offset);
  }
  return reversal;
}

/** The cause, with the WAIT that ended in the first ABORT of these transitions, if both show. */
function withWait(cause: AbortCause, transitions: Transition[]): ObservedAbortCause {
  const abortAt = transitions.findIndex(([state]) => state === "ABORT");
  for (let i = abortAt - 1; i >= 0; i--)
    if (transitions[i]![0] === "WAIT")
      return { ...cause, waitedMs: transitions[abortAt]![1] - transitions[i]![1] };
  return { ...cause };
}

function reversalOf(
  seen: NodeTxn,
  from: Decision,
  to: Decision,
  report: number,
  withinReport: boolean,
): Reversal {
  return { txn: seen.txn, node: seen.node, from, to, report, withinReport };
}
