// Stable latency: how long after a broadcast was invoked its message is present in every
// later read on every node. Per node, the message is stable from the first read of the
// trailing run of that node's reads (in order of invocation) that all contain it; the message
// is stable once it is on every node, at the latest of those times. A message missing from
// some node's last read is never stable. Reads sample the nodes, so the figure is an upper
// bound that is as fine as the reads are frequent.
import type { PairedOp } from "../../histories/pair.ts";
import type { Added } from "../elements.ts";
import { readerOf } from "../final-reads.ts";

export interface StableLatency {
  /** Messages that became stable, and the quantiles of their latency (ms; null if none). */
  stable: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  /** Messages acknowledged, or seen in some read, that never became stable on every node. */
  neverStable: number;
  neverStableMessages: unknown[];
}

/** `reads`: ok reads with their element keys; `readers`: the nodes every message must reach;
 *  `seen`: the info broadcasts some read showed (the others may never have happened). */
export function stableLatency(
  messages: Added[],
  reads: { read: PairedOp; keys: string[] }[],
  readers: string[],
  seen: Set<string>,
  report: number,
): StableLatency {
  const byReader = new Map<string, { read: PairedOp; keys: string[] }[]>();
  for (const r of reads) {
    const reader = readerOf(r.read);
    if (!byReader.has(reader)) byReader.set(reader, []);
    byReader.get(reader)!.push(r);
  }
  // For each reader: message -> start of its trailing run of reads containing it.
  const starts = readers.map((reader) => trailingRunStarts(byReader.get(reader) ?? []));

  const latencies: number[] = [];
  const never: unknown[] = [];
  for (const m of messages) {
    if (m.status === "fail" || (m.status === "info" && !seen.has(m.key))) continue;
    let stableAt = -Infinity;
    for (const s of starts) stableAt = Math.max(stableAt, s.get(m.key) ?? Infinity);
    if (stableAt === Infinity || readers.length === 0) never.push(m.value);
    else latencies.push(Math.max(0, stableAt - m.invokedAt) / 1e6);
  }
  latencies.sort((a, b) => a - b);
  return {
    stable: latencies.length,
    p50Ms: quantile(latencies, 0.5),
    p95Ms: quantile(latencies, 0.95),
    maxMs: quantile(latencies, 1),
    neverStable: never.length,
    neverStableMessages: never.slice(0, report),
  };
}

/** Walking one node's reads backwards, a message stays in the run while each read has it;
 *  its start is the earliest read of the run. Linear in the total size of the reads. */
function trailingRunStarts(reads: { read: PairedOp; keys: string[] }[]): Map<string, number> {
  const ordered = [...reads].sort((a, b) => a.read.invokePos - b.read.invokePos);
  const start = new Map<string, number>();
  let run: Set<string> | undefined;
  let runStart = 0;
  for (let i = ordered.length - 1; i >= 0; i--) {
    const { read, keys } = ordered[i]!;
    const here = new Set(keys);
    if (run === undefined) run = here;
    else
      for (const k of run)
        if (!here.has(k)) {
          // The run of k ends here: it started at the read after this one.
          start.set(k, runStart);
          run.delete(k);
        }
    runStart = read.invoke.time;
    if (run.size === 0) break;
  }
  for (const k of run ?? []) start.set(k, runStart);
  return start;
}

/** Nearest-rank quantile of sorted numbers, rounded to 0.1 ms; null for none. */
export function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round(sorted[i]! * 10) / 10;
}
