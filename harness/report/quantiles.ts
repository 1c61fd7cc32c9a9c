// Latency quantiles per operation kind (read, write, cas, ...): how long the ops that took
// effect (ok) took, and how many failed or ended unknown, for the report's table.
import type { LatencyPoint } from "./series.ts";

export interface KindLatency {
  /** The op's function, or "all". */
  f: string;
  ok: number;
  fail: number;
  info: number;
  /** Milliseconds, of the ok ops (nearest rank); undefined when none was ok. */
  p50?: number;
  p90?: number;
  p99?: number;
  max?: number;
}

/** One row per op kind (in order of first appearance), then "all". */
export function latencyByKind(points: readonly LatencyPoint[]): KindLatency[] {
  const groups = new Map<string, LatencyPoint[]>();
  for (const p of points) {
    let g = groups.get(p.f);
    if (!g) groups.set(p.f, (g = []));
    g.push(p);
  }
  const rows = [...groups].map(([f, ps]) => row(f, ps));
  if (groups.size > 1) rows.push(row("all", points));
  return rows;
}

function row(f: string, points: readonly LatencyPoint[]): KindLatency {
  const ok = points
    .filter((p) => p.type === "ok")
    .map((p) => p.latencyMs)
    .sort((a, b) => a - b);
  const r: KindLatency = {
    f,
    ok: ok.length,
    fail: points.filter((p) => p.type === "fail").length,
    info: points.filter((p) => p.type === "info").length,
  };
  if (ok.length > 0) {
    r.p50 = nearestRank(ok, 0.5);
    r.p90 = nearestRank(ok, 0.9);
    r.p99 = nearestRank(ok, 0.99);
    r.max = ok[ok.length - 1]!;
  }
  return r;
}

/** The q-quantile of sorted values by nearest rank: the smallest value with at least q of
 *  the values at or below it. */
export function nearestRank(sorted: readonly number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}
