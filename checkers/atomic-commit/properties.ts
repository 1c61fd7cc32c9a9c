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
//   (invoke to completion) is not aborted (the client's `fail`). The source's premise is "no
//   failure occurs"; a vote that reaches the coordinator after its vote timeout is a timing
//   failure (a loaded machine delays a message as surely as a fault does), so such aborts are
//   left out. How the checker knows, see abortExcuse (the coordinator says why it aborted) and
//   voteCameLate (it does not say: the old reports);
// - termination: at its last final-phase report, every participant has decided every
//   transaction it knows, and holds COMMIT for every committed transaction it took part in.
//   A participant without a final report is not judged: termination is unknown there.
import { byNodeName } from "../final-reads.ts";
import { touches, type Interval } from "./faults.ts";
import type { NodeTxn, ObservedAbortCause, Observations, Reversal } from "./observe.ts";
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
  /** Why the coordinator's stated cause does not excuse it (only when it stated one). */
  why?: string;
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
    /** Aborts decided before some participant's vote existed, as the participants' reports
     *  show (for coordinators that do not say why they aborted). */
    excludedAsLateVotes: number;
    /** Aborts the coordinator made at its vote timeout, with the wait to show for it. */
    excludedAsTimeouts: number;
    /** Aborts on a participant's vote_abort, that participant never having voted commit. */
    excludedAsAbortVotes: number;
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
  let excludedAsTimeouts = 0;
  let excludedAsAbortVotes = 0;
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
    let why: string | undefined;
    if (txn.outcome === "abort") {
      const nodes = seen.byTxn.get(txn.id);
      const cause = nodes?.get(coordinator)?.abortCause;
      if (cause) {
        // The coordinator said why: that, checked against the evidence, decides alone.
        const excuse = abortExcuse(txn, cause, nodes!);
        if (excuse === "timeout") excludedAsTimeouts++;
        if (excuse === "abort-vote") excludedAsAbortVotes++;
        if (excuse === "timeout" || excuse === "abort-vote") continue;
        why = excuse.why;
      } else if (voteCameLate(txn, seen, coordinator)) {
        excludedAsLateVotes++;
        continue;
      }
    }
    judged++;
    if (txn.outcome === "abort") {
      const v: TrivialAbort = { txn: txn.id, op: txn.invokeIndex, participants: txn.participants };
      if (why !== undefined) v.why = why;
      violations.push(v);
    }
  }
  return {
    judged,
    excludedByFaults,
    excludedAsLateVotes,
    excludedAsTimeouts,
    excludedAsAbortVotes,
    violations,
  };
}

/** Node-clock ms a reported wait may fall short of the timeout: both ends are whole ms. */
const CLOCK_GRAIN_MS = 1;

/**
 * Whether the coordinator's stated cause excuses aborting an all-commit transaction:
 * - "timeout": when it names a participant of the transaction whose vote it did not have,
 *   declares its timeout, and was seen waiting that long: its own WAIT to ABORT (one report,
 *   its own clock) and the client's span (the run clock; the request came before WAIT and the
 *   answer after ABORT) both last at least the timeout. A timeout with every vote in, or
 *   sooner than the timeout it declares, is a coordinator that aborted for nothing;
 * - "vote-abort": when the voter is a participant whose reports show it deciding ABORT without
 *   ever being READY (it never voted commit: the source lets a participant abort on its own
 *   before voting, e.g. asked by a peer while still in INIT);
 * - anything else ("recovered" with no fault active, a cause it does not know): never.
 */
function abortExcuse(
  txn: Txn,
  cause: ObservedAbortCause,
  nodes: Map<string, NodeTxn>,
): "timeout" | "abort-vote" | { why: string } {
  if (cause.cause === "timeout") {
    const missing = (cause.missing ?? []).filter((p) => txn.participants.includes(p));
    if (missing.length === 0)
      return {
        why: "the coordinator reports a vote timeout, yet names no participant's vote as missing",
      };
    const timeout = cause.timeoutMs;
    if (timeout === undefined || !(timeout > 0))
      return { why: "the coordinator reports a vote timeout but not how long it is" };
    if (cause.waitedMs === undefined)
      return { why: "the coordinator reports a vote timeout, but no WAIT before its ABORT" };
    if (cause.waitedMs + CLOCK_GRAIN_MS < timeout)
      return {
        why: `the coordinator reports a vote timeout after ${Math.round(cause.waitedMs)} ms in WAIT, short of its ${timeout} ms timeout`,
      };
    const clientMs = txn.completeMs! - txn.invokeMs;
    if (clientMs + CLOCK_GRAIN_MS < timeout)
      return {
        why: `the coordinator reports a vote timeout, but the client had its answer ${Math.round(clientMs)} ms after asking, short of the ${timeout} ms timeout`,
      };
    return "timeout";
  }
  if (cause.cause === "vote-abort") {
    const voter = cause.from;
    if (voter === undefined || !txn.participants.includes(voter))
      return {
        why: `the coordinator reports an abort vote from ${voter ?? "no one"}, not a participant`,
      };
    const said = nodes.get(voter);
    if (said?.ready !== undefined)
      return {
        why: `the coordinator reports an abort vote from ${voter}, which reported READY (a commit vote)`,
      };
    if (said?.firstDecision !== "abort")
      return {
        why: `the coordinator reports an abort vote from ${voter}, which no report shows aborting`,
      };
    return "abort-vote";
  }
  if (cause.cause === "recovered")
    return {
      why: "the coordinator aborted it on a restart (found in WAIT) while no fault was active",
    };
  return {
    why: `the coordinator aborted it for a cause the checker does not excuse: ${cause.cause}`,
  };
}

/** For coordinators that do not say why they aborted (no `aborts` in their reports): true when
 *  the reports show the coordinator's ABORT before some participant's READY. Without the
 *  coordinator's decision or a participant's READY on record, nothing excuses the abort.
 *  Each time is mapped onto the run clock by its own report's offset, which counts the reply's
 *  latency whole; on a loaded machine that is tens to hundreds of ms and differs per report,
 *  so a READY a little after the ABORT on the nodes' clocks can map before it (and be held
 *  against the protocol): the reason coordinators now say why. */
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
