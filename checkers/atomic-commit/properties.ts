// The five properties of atomic commit (docs/atomic-commit.md, "Properties"), each a list of
// the transactions (and nodes) that break it:
// - agreement: all that decide, decide the same. Each node counts with its first decision
//   (a later change is a reversal, judged below), the client with its outcome;
// - no reversal: no node goes from COMMIT to ABORT or back;
// - commit validity: a transaction with a `false` vote is committed nowhere;
// - commit from READY: a participant reaches COMMIT only from READY (it voted commit and
//   logged it); a report with COMMIT and no READY before it is a participant that committed
//   without a vote on record (the source's participant state machine);
// - non-triviality: a transaction whose votes are all `true` and that no fault overlapped
//   (invoke to completion) is not aborted (the client's `fail`). An abort where a participant
//   reached READY only after the coordinator's ABORT (as the states reports show) is left out:
//   the vote came late, and a coordinator in WAIT may time out and abort (a stalled machine
//   delays a vote as surely as a fault does);
// - termination: at its last final-phase report, every participant has decided every
//   transaction it knows, and holds COMMIT for every committed transaction it took part in.
//   A participant without a final report is not judged: termination is unknown there.
import { byNodeName } from "../final-reads.ts";
import { touches, type Interval } from "./faults.ts";
import type { Observations, Reversal } from "./observe.ts";
import { decisionOf, type Txn } from "./parse.ts";

/** Who said what: "client" or a node name. */
export interface Disagreement {
  txn: string;
  commit: string[];
  abort: string[];
}

export interface InvalidCommit {
  txn: string;
  /** Participants that voted false. */
  votedAbort: string[];
  /** Who committed it: "client" (an ok outcome) or nodes that reported COMMIT. */
  committedBy: string[];
}

export interface UnvotedCommit {
  txn: string;
  node: string;
  /** Op index of the states report that shows it. */
  report: number;
}

export interface TrivialAbort {
  txn: string;
  /** Op index of the invocation. */
  op: number;
  participants: string[];
}

export interface Undecided {
  txn: string;
  node: string;
  /** Its last state in the node's final report, or "missing" if the report lacks it. */
  state: string;
  /** Op index of that final report. */
  report: number;
  /** True when the transaction was committed somewhere (so the node owes a COMMIT). */
  committed: boolean;
}

export interface Properties {
  agreement: Disagreement[];
  reversals: Reversal[];
  commitValidity: InvalidCommit[];
  commitFromReady: UnvotedCommit[];
  nonTriviality: {
    judged: number;
    excludedByFaults: number;
    /** Aborts decided before some participant's vote existed: the coordinator's timeout. */
    excludedAsLateVotes: number;
    violations: TrivialAbort[];
  };
  termination: {
    /** Participants judged (with a final report) and those without one. */
    judged: string[];
    withoutFinalReport: string[];
    violations: Undecided[];
  };
}

export function judge(
  txns: Map<string, Txn>,
  seen: Observations,
  coordinator: string,
  faults: Interval[],
): Properties {
  const ids = new Set([...txns.keys(), ...seen.byTxn.keys()]);
  const agreement: Disagreement[] = [];
  const commitValidity: InvalidCommit[] = [];
  const commitFromReady: UnvotedCommit[] = [];
  const committed = new Set<string>();
  // Node lists are sorted only for the transactions a violation names: most have none.
  const client = (txn: Txn | undefined, outcome: string) =>
    txn?.outcome === outcome ? ["client"] : [];
  const named = (txn: Txn | undefined, outcome: string, nodes: string[]) => [
    ...client(txn, outcome),
    ...nodes.sort(byNodeName),
  ];
  for (const id of ids) {
    const txn = txns.get(id);
    const commit: string[] = [];
    const abort: string[] = [];
    const everCommitted: string[] = [];
    for (const n of seen.byTxn.get(id)?.values() ?? []) {
      if (n.firstDecision === "commit") commit.push(n.node);
      if (n.firstDecision === "abort") abort.push(n.node);
      if (n.everCommitted) everCommitted.push(n.node);
      if (n.commitWithoutReady !== undefined && n.node !== coordinator)
        commitFromReady.push({ txn: id, node: n.node, report: n.commitWithoutReady });
    }
    const commits = commit.length + (txn?.outcome === "commit" ? 1 : 0);
    const aborts = abort.length + (txn?.outcome === "abort" ? 1 : 0);
    if (commits > 0 && aborts > 0)
      agreement.push({
        txn: id,
        commit: named(txn, "commit", commit),
        abort: named(txn, "abort", abort),
      });

    const committedAnywhere = everCommitted.length > 0 || txn?.outcome === "commit";
    if (!committedAnywhere) continue;
    committed.add(id);
    const votedAbort = txn ? txn.participants.filter((p) => txn.votes[p] === false) : [];
    if (votedAbort.length > 0)
      commitValidity.push({
        txn: id,
        votedAbort,
        committedBy: named(txn, "commit", everCommitted),
      });
  }

  return {
    agreement,
    reversals: seen.reversals,
    commitValidity,
    commitFromReady: commitFromReady.sort((a, b) => a.report - b.report),
    nonTriviality: nonTriviality(txns, seen, coordinator, faults),
    termination: termination(txns, seen, coordinator, committed),
  };
}

function nonTriviality(
  txns: Map<string, Txn>,
  seen: Observations,
  coordinator: string,
  faults: Interval[],
): Properties["nonTriviality"] {
  let judged = 0;
  let excludedByFaults = 0;
  let excludedAsLateVotes = 0;
  const violations: TrivialAbort[] = [];
  for (const txn of txns.values()) {
    if (txn.outcome === "unknown" || txn.completeMs === null) continue;
    // A fail other than the coordinator's "abort" (refused, not ready) never reached the
    // protocol: it says nothing about what 2PC decides.
    if (txn.outcome === "abort" && txn.error !== "abort") continue;
    if (txn.participants.length === 0 || txn.participants.some((p) => !txn.votes[p])) continue;
    if (touches(txn.invokeMs, txn.completeMs, faults)) {
      excludedByFaults++;
      continue;
    }
    if (txn.outcome === "abort" && voteCameLate(txn, seen, coordinator)) {
      excludedAsLateVotes++;
      continue;
    }
    judged++;
    if (txn.outcome === "abort")
      violations.push({ txn: txn.id, op: txn.invokeIndex, participants: txn.participants });
  }
  return { judged, excludedByFaults, excludedAsLateVotes, violations };
}

/** True when the reports show the coordinator's ABORT before some participant's READY. Without
 *  the coordinator's decision or a participant's READY on record, nothing excuses the abort. */
function voteCameLate(txn: Txn, seen: Observations, coordinator: string): boolean {
  const nodes = seen.byTxn.get(txn.id);
  const decidedMs = nodes?.get(coordinator)?.firstDecisionMs;
  if (!nodes || decidedMs === undefined) return false;
  return txn.participants.some((p) => {
    const readyMs = nodes.get(p)?.ready?.fromMs;
    return readyMs !== undefined && readyMs > decidedMs;
  });
}

function termination(
  txns: Map<string, Txn>,
  seen: Observations,
  coordinator: string,
  committed: Set<string>,
): Properties["termination"] {
  const participants = new Set<string>();
  for (const txn of txns.values()) for (const p of txn.participants) participants.add(p);
  for (const [node, role] of seen.roles) if (role === "participant") participants.add(node);
  participants.delete(coordinator);
  const all = [...participants].sort(byNodeName);
  const judged = all.filter((n) => seen.finalReport.has(n));
  const withoutFinalReport = all.filter((n) => !seen.finalReport.has(n));

  const violations: Undecided[] = [];
  const flagged = new Set<string>();
  const flag = (u: Undecided) => {
    const key = u.node + "\u0000" + u.txn;
    if (flagged.has(key)) return;
    flagged.add(key);
    violations.push(u);
  };
  for (const node of judged) {
    const report = seen.finalReport.get(node)!;
    for (const [id, transitions] of Object.entries(report.txns)) {
      const state = transitions.length > 0 ? transitions[transitions.length - 1]![0] : "(none)";
      if (!decisionOf(state))
        flag({ txn: id, node, state, report: report.index, committed: committed.has(id) });
    }
  }
  for (const id of committed) {
    const txn = txns.get(id);
    if (!txn) continue;
    for (const node of txn.participants) {
      const report = seen.finalReport.get(node);
      if (!report || node === coordinator) continue;
      const transitions = report.txns[id];
      const state =
        transitions === undefined
          ? "missing"
          : transitions.length > 0
            ? transitions[transitions.length - 1]![0]
            : "(none)";
      if (state !== "COMMIT") flag({ txn: id, node, state, report: report.index, committed: true });
    }
  }
  violations.sort((a, b) => byNodeName(a.txn, b.txn) || byNodeName(a.node, b.node));
  return { judged, withoutFinalReport, violations };
}
