// Blocking, measured and not judged: two-phase commit blocks a participant that voted commit
// (READY) until it learns the decision, and the coordinator is the one that knows it. For every
// participant that was READY: how long it stayed READY (observe.ts says how the span is read),
// and how much of that span the coordinator was down (faults.ts). A span that never ended is a
// block until the end of the history.
import { byNodeName } from "../final-reads.ts";
import { overlapMs, type Interval } from "./faults.ts";
import type { Observations } from "./observe.ts";

export interface Block {
  txn: string;
  node: string;
  readyMs: number;
  /** How much of the READY span the coordinator was down. */
  coordinatorDownMs: number;
  /** False when the node was still READY at its last report. */
  decided: boolean;
}

export interface Blocking {
  /** READY spans measured (each participant, each transaction it was READY in). */
  count: number;
  /** Of those, still READY at the node's last report (measured to the end of the history). */
  undecided: number;
  /** Of those, spans the coordinator was down for some of. */
  withCoordinatorDown: number;
  /** Quantiles of the READY durations (nearest rank), null when there were none. */
  medianMs: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** READY ms in total, and how much of it the coordinator was down. */
  totalReadyMs: number;
  coordinatorDownMs: number;
  /** When the coordinator was down, from the nemesis ops. */
  coordinatorDown: { intervals: number; totalMs: number };
  /** The longest spans, longest first. */
  longest: Block[];
}

/** How many of the longest blocks results name. */
export const LONGEST = 5;

export function measureBlocking(
  seen: Observations,
  coordinator: string,
  down: Interval[],
  endMs: number,
): Blocking {
  const blocks: Block[] = [];
  for (const nodes of seen.byTxn.values())
    for (const n of nodes.values()) {
      if (!n.ready || n.node === coordinator) continue;
      const from = n.ready.fromMs;
      const to = Math.max(from, n.ready.toMs ?? endMs);
      blocks.push({
        txn: n.txn,
        node: n.node,
        readyMs: round(to - from),
        coordinatorDownMs: round(overlapMs(from, to, down)),
        decided: n.ready.toMs !== null,
      });
    }
  const durations = blocks.map((b) => b.readyMs).sort((a, b) => a - b);
  const longest = topBlocks(blocks, LONGEST);
  return {
    count: blocks.length,
    undecided: blocks.filter((b) => !b.decided).length,
    withCoordinatorDown: blocks.filter((b) => b.coordinatorDownMs > 0).length,
    medianMs: quantile(durations, 0.5),
    p99Ms: quantile(durations, 0.99),
    maxMs: quantile(durations, 1),
    totalReadyMs: round(sum(blocks.map((b) => b.readyMs))),
    coordinatorDownMs: round(sum(blocks.map((b) => b.coordinatorDownMs))),
    coordinatorDown: {
      intervals: down.length,
      totalMs: round(sum(down.map((i) => i.to - i.from))),
    },
    longest,
  };
}

/** The `n` longest blocks, longest first (ties: by transaction, then node), without sorting
 *  them all. */
function topBlocks(blocks: Block[], n: number): Block[] {
  const before = (a: Block, b: Block) =>
    a.readyMs !== b.readyMs
      ? a.readyMs > b.readyMs
      : (byNodeName(a.txn, b.txn) || byNodeName(a.node, b.node)) < 0;
  const top: Block[] = [];
  for (const b of blocks) {
    if (top.length === n && !before(b, top[n - 1]!)) continue;
    let i = Math.min(top.length, n - 1);
    top[i] = b;
    while (i > 0 && before(b, top[i - 1]!)) {
      top[i] = top[i - 1]!;
      top[i - 1] = b;
      i--;
    }
  }
  return top;
}

/** Nearest rank: the smallest value with at least q of them at or below it. */
function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]!;
}

function sum(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** To the microsecond: run-clock ms come from nanoseconds, and sums gather float noise. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
