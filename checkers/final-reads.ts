// Which reads are "final": the reads of every node after the faults were healed and the
// cluster given time to settle, where eventually consistent systems (broadcast, sets,
// counters) must have converged. Earlier reads may lag; only final reads are held to
// convergence.
//
// A history says which reads are final in one of two ways:
// - marked: ops carry `final: true` (or `"final?": true`, as Maelstrom's Jepsen histories
//   import); then exactly those ok reads are final;
// - inferred, for histories without marks: the ok reads invoked after every other client op
//   had completed and after the last nemesis op. A run's final phase starts only once the main
//   phase's ops completed and the faults were healed, so its reads are among these; a few
//   main-phase reads may be too, but each node is judged by its *last* final read, which is a
//   final-phase read whenever one of that node's final reads succeeded.
import type { Op } from "../histories/op.ts";
import type { PairedOp } from "../histories/pair.ts";

export interface FinalReads {
  how: "marked" | "inferred";
  /** Every ok final read, in history order of completion. */
  all: PairedOp[];
  /** Each reader's (node's) last ok final read. */
  last: Map<string, PairedOp>;
  /** The readers every final read is expected from: the `nodes` option, else every node the
   *  history names, plus any other reader of a final read. Sorted. */
  readers: string[];
  /** Expected readers with no ok final read: nothing is known of their final state. */
  missing: string[];
}

/** Who a read read from: its node, or (imported histories without nodes) its process. */
export function readerOf(p: PairedOp): string {
  return p.invoke.node ?? p.completion?.node ?? `process ${p.process}`;
}

export function isMarkedFinal(op: Op | undefined): boolean {
  return op !== undefined && (op.final === true || op["final?"] === true);
}

/** The final reads (ok ops of function `readF`) of a history; `nodes`: the cluster's nodes. */
export function finalReads(
  history: Op[],
  paired: PairedOp[],
  readF: string,
  nodes?: unknown,
): FinalReads {
  const marked = history.some((op) => op.process !== "nemesis" && isMarkedFinal(op));
  let isFinal: (p: PairedOp) => boolean;
  if (marked) {
    isFinal = (p) => isMarkedFinal(p.invoke) || isMarkedFinal(p.completion);
  } else {
    let boundary = -1;
    for (const p of paired) if (p.f !== readF) boundary = Math.max(boundary, p.completePos);
    history.forEach((op, pos) => {
      if (op.process === "nemesis") boundary = Math.max(boundary, pos);
    });
    isFinal = (p) => p.invokePos > boundary;
  }
  const all = paired
    .filter((p) => p.f === readF && p.type === "ok" && isFinal(p))
    .sort((a, b) => a.completePos - b.completePos);
  const last = new Map<string, PairedOp>();
  for (const p of all) last.set(readerOf(p), p);

  const expected = new Set<string>();
  if (Array.isArray(nodes) && nodes.every((n) => typeof n === "string")) {
    for (const n of nodes) expected.add(n);
  } else {
    for (const op of history) if (op.process !== "nemesis" && op.node) expected.add(op.node);
  }
  for (const reader of last.keys()) expected.add(reader);
  const readers = [...expected].sort(byNodeName);
  return {
    how: marked ? "marked" : "inferred",
    all,
    last,
    readers,
    missing: readers.filter((r) => !last.has(r)),
  };
}

/** n2 before n10. */
export function byNodeName(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/** One line on where the final reads came from, for explanations. */
export function describeFinalReads(r: { how: string; missing: string[] }): string {
  const how =
    r.how === "marked"
      ? "final reads: the reads marked final"
      : "final reads: the reads after the last other operation and fault";
  return r.missing.length > 0 ? `${how}; no final read succeeded on ${r.missing.join(", ")}` : how;
}
