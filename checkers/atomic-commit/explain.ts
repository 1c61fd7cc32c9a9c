// Console lines for an atomic-commit result: one line per property (ok, or how many
// transactions break it, then each named with its nodes), and the blocking figures.
import type { CheckResult } from "../types.ts";
import type { AtomicCommitResult } from "./result.ts";

const ms = (v: number | null) => (v === null ? "-" : `${Math.round(v)} ms`);
const more = (shown: number, total: number) =>
  total > shown ? [`  ... and ${total - shown} more`] : [];

export function explainAtomicCommit(result: CheckResult): string[] {
  const r = result as AtomicCommitResult;
  if (!r.transactions) return result.reason ? [result.reason] : [];
  const x = r.transactions;
  const lines = [
    `${x.total} transactions (${x.committed} committed, ${x.aborted} aborted, ${x.unknown} of unknown outcome); ${r.reports.total} states reports from ${r.reports.nodes.length} nodes, ${r.reports.final} of them final; coordinator ${r.coordinator}`,
  ];
  if (r.malformed.count > 0) {
    lines.push(`${r.malformed.count} ops without the expected shape, left out:`);
    for (const m of r.malformed.ops) lines.push(`  op ${m.op}: ${m.why}`);
    lines.push(...more(r.malformed.ops.length, r.malformed.count));
  }
  if (r.duplicateIds.length > 0)
    lines.push(`txn ids used more than once: ${r.duplicateIds.join(", ")}`);

  const a = r.agreement;
  lines.push(
    `agreement (all that decide, decide the same): ${a.valid ? "ok" : `violated by ${a.violations} transactions`}`,
  );
  for (const d of a.txns)
    lines.push(`  ${d.txn}: COMMIT by ${d.commit.join(", ")}; ABORT by ${d.abort.join(", ")}`);
  lines.push(...more(a.txns.length, a.violations));

  const n = r.noReversal;
  lines.push(
    `no reversal (a decision is final): ${n.valid ? "ok" : `violated by ${n.violations} (transaction, node) pairs`}`,
  );
  for (const v of n.reversals)
    lines.push(
      `  ${v.txn} on ${v.node}: ${v.from.toUpperCase()} then ${v.to.toUpperCase()} (${v.withinReport ? "in" : "by"} states report op ${v.report})`,
    );
  lines.push(...more(n.reversals.length, n.violations));

  const c = r.commitValidity;
  lines.push(
    `commit validity (commit only if every participant voted commit): ${c.valid ? "ok" : `violated by ${c.violations} transactions`}`,
  );
  for (const v of c.txns)
    lines.push(
      `  ${v.txn}: ${v.votedAbort.join(", ")} voted abort, yet committed by ${v.committedBy.join(", ")}`,
    );
  lines.push(...more(c.txns.length, c.violations));

  const f = r.commitFromReady;
  if (f) {
    lines.push(
      `commit from READY (a participant commits only after voting commit): ${f.valid ? "ok" : `violated by ${f.violations} (transaction, participant) pairs`}`,
    );
    for (const v of f.commits)
      lines.push(
        `  ${v.txn} on ${v.node}: COMMIT with no READY before it (states report op ${v.report}): its vote is not on record`,
      );
    lines.push(...more(f.commits.length, f.violations));
  }

  const t = r.nonTriviality;
  // Results stored before the coordinator said why it aborted have no timeout counts.
  const timeouts = t.excludedAsTimeouts ?? 0;
  const abortVotes = t.excludedAsAbortVotes ?? 0;
  const judgedNote = [
    `${t.judged} all-commit transactions judged, ${t.excludedByFaults} left out because a fault was active`,
    ...(timeouts > 0
      ? [
          `${timeouts} because the coordinator aborted at its vote timeout (a vote arrived late: a timing failure)`,
        ]
      : []),
    ...(abortVotes > 0
      ? [`${abortVotes} because a participant voted abort before ever voting commit`]
      : []),
    ...(t.excludedAsLateVotes > 0
      ? [`${t.excludedAsLateVotes} because a vote came after the coordinator's abort (its timeout)`]
      : []),
  ].join(", ");
  lines.push(
    `non-triviality (all voted commit and nothing failed: commit): ${t.valid ? "ok" : `violated by ${t.violations} transactions`}; ${judgedNote}`,
  );
  for (const v of t.txns)
    lines.push(
      `  ${v.txn} (op ${v.op}): aborted though ${v.participants.join(", ")} all voted commit and no fault was active${v.why ? `; ${v.why}` : ""}`,
    );
  lines.push(...more(t.txns.length, t.violations));

  const term = r.termination;
  const termState =
    term.valid === true
      ? "ok"
      : term.valid === "unknown"
        ? "unknown"
        : `violated by ${term.violations} (transaction, participant) pairs`;
  lines.push(
    `termination (every participant decided by its final report): ${termState}; ${term.judgedNodes.length} participants judged`,
  );
  for (const u of term.undecided)
    lines.push(
      `  ${u.txn} on ${u.node}: ${u.state === "missing" ? "missing from" : u.state + " in"} its final report (op ${u.report})${u.committed ? ", yet the transaction committed" : ""}`,
    );
  lines.push(...more(term.undecided.length, term.violations));
  if (term.nodesWithoutFinalReport.length > 0)
    lines.push(
      `  no final states report from ${term.nodesWithoutFinalReport.join(", ")}: termination is unknown there, not judged`,
    );

  const b = r.blocking;
  if (b.count === 0) {
    lines.push("blocking (measured, not judged): no participant was seen READY");
  } else {
    lines.push(
      `blocking (measured, not judged): ${b.count} READY spans; median ${ms(b.medianMs)}, p99 ${ms(b.p99Ms)}, max ${ms(b.maxMs)}; ${b.undecided} still READY at the end`,
    );
    lines.push(
      `  READY while coordinator ${r.coordinator} was down: ${ms(b.coordinatorDownMs)} over ${b.withCoordinatorDown} spans (${r.coordinator} down ${b.coordinatorDown.intervals} times, ${ms(b.coordinatorDown.totalMs)} in all)`,
    );
    for (const l of b.longest)
      lines.push(
        `  ${l.txn} on ${l.node}: READY ${ms(l.readyMs)}${l.decided ? "" : " (never decided)"}, ${ms(l.coordinatorDownMs)} of it with ${r.coordinator} down`,
      );
  }
  return lines;
}
