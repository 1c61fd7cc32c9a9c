// One row of a comparison: a contender's runs (one per seed, or one stored run) pooled into the
// figures of the table. Pooling adds counts up rather than averaging per-run figures, so a
// short run weighs less than a long one: availability is all ok ops over all ops, throughput
// all ok ops over all main-phase seconds, latency percentiles over every ok op of every run.
import type { Verdict } from "../../checkers/types.ts";
import { percentile, QUIET, type Availability, type Recovery, type RunMetrics } from "./metrics.ts";

/** How many of a row's runs came to each verdict. */
export interface VerdictTally {
  valid: number;
  invalid: number;
  unknown: number;
  /** Interrupted, or with no results.json at all. */
  none: number;
}

export interface RowSummary {
  runs: number;
  verdict: VerdictTally;
  checkers: Record<string, VerdictTally>;
  /** By fault kind and QUIET: ok, total, and ok / total (null without ops). */
  availability: Record<string, Availability & { share: number | null }>;
  latencyMs: { p50: number | null; p99: number | null };
  /** ok ops per second of the main phase. */
  throughput: number | null;
  /** Node-to-node messages per ok op; null unless every run counted its messages. */
  messagesPerOkOp: number | null;
  recovery: {
    heals: number;
    /** Heals after which no window reached half the quiet rate before the next fault. */
    notRecovered: number;
    medianSeconds: number | null;
    maxSeconds: number | null;
  };
}

function tally(): VerdictTally {
  return { valid: 0, invalid: 0, unknown: 0, none: 0 };
}

function count(t: VerdictTally, v: Verdict | undefined, incomplete = false): void {
  if (incomplete || v === undefined) t.none++;
  else if (v === true) t.valid++;
  else if (v === false) t.invalid++;
  else t.unknown++;
}

export function summarize(runs: readonly RunMetrics[]): RowSummary {
  const verdict = tally();
  const checkers: Record<string, VerdictTally> = {};
  const availability: Record<string, Availability> = {};
  const latencies: number[] = [];
  let okOps = 0;
  let seconds = 0;
  let sent: number | null = 0;
  const recoveries: Recovery[] = [];
  for (const run of runs) {
    count(verdict, run.verdict, run.incomplete);
    for (const [name, v] of Object.entries(run.checkers)) count((checkers[name] ??= tally()), v);
    for (const [kind, a] of Object.entries(run.availability)) {
      const pooled = (availability[kind] ??= { ok: 0, total: 0 });
      pooled.ok += a.ok;
      pooled.total += a.total;
    }
    for (const l of run.okLatenciesMs) latencies.push(l); // not push(...): too many to spread
    okOps += run.okOps;
    seconds += run.mainSeconds;
    sent = sent === null || run.messagesSent === null ? null : sent + run.messagesSent;
    recoveries.push(...run.recoveries);
  }
  latencies.sort((a, b) => a - b);
  const recovered = recoveries
    .map((r) => r.seconds)
    .filter((s): s is number => s !== null)
    .sort((a, b) => a - b);
  return {
    runs: runs.length,
    verdict,
    checkers,
    availability: Object.fromEntries(
      Object.entries(availability).map(([k, a]) => [
        k,
        { ...a, share: a.total > 0 ? a.ok / a.total : null },
      ]),
    ),
    latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) },
    throughput: seconds > 0 ? okOps / seconds : null,
    messagesPerOkOp: sent !== null && runs.length > 0 && okOps > 0 ? sent / okOps : null,
    recovery: {
      heals: recoveries.length,
      notRecovered: recoveries.length - recovered.length,
      medianSeconds: percentile(recovered, 0.5),
      maxSeconds: recovered.length > 0 ? recovered[recovered.length - 1]! : null,
    },
  };
}

/** The fault kinds of a comparison's columns: QUIET first, then every kind any row met, in the
 *  order of `order` (the --nemesis list), others after. */
export function availabilityColumns(rows: readonly RowSummary[], order: readonly string[] = []) {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.availability)) if (k !== QUIET) seen.add(k);
  const kinds = [
    ...order.filter((k) => seen.has(k)),
    ...[...seen].filter((k) => !order.includes(k)),
  ];
  return [QUIET, ...kinds];
}

/** The checkers of a comparison's columns, in the order the rows first name them. */
export function checkerColumns(rows: readonly RowSummary[]): string[] {
  const names: string[] = [];
  for (const r of rows)
    for (const n of Object.keys(r.checkers)) if (!names.includes(n)) names.push(n);
  return names;
}
