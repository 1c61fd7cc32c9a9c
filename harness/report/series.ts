// Figures a report draws, computed from a history alone: each client op's latency and completed
// ops per second (what the faults did: faults.ts).
import type { Op } from "../../histories/op.ts";

export interface LatencyPoint {
  /** Seconds since the run started, at the invocation. */
  at: number;
  latencyMs: number;
  type: "ok" | "fail" | "info";
  f: string;
}

export interface ThroughputBin {
  at: number;
  ok: number;
  fail: number;
  info: number;
}

export interface Counts {
  ok: number;
  fail: number;
  info: number;
  /** Invocations with no completion (a run cut short). */
  pending: number;
}

/** Pair every client invocation with its completion (a process has one op in flight). */
export function latencies(history: readonly Op[]): LatencyPoint[] {
  const open = new Map<number, Op>();
  const points: LatencyPoint[] = [];
  for (const op of history) {
    if (op.process === "nemesis") continue;
    if (op.type === "invoke") open.set(op.process, op);
    else {
      const inv = open.get(op.process);
      if (!inv) continue;
      open.delete(op.process);
      points.push({
        at: inv.time / 1e9,
        latencyMs: (op.time - inv.time) / 1e6,
        type: op.type,
        f: op.f,
      });
    }
  }
  return points;
}

export function counts(history: readonly Op[]): Counts {
  const c: Counts = { ok: 0, fail: 0, info: 0, pending: 0 };
  const open = new Set<number>();
  for (const op of history) {
    if (op.process === "nemesis") continue;
    if (op.type === "invoke") open.add(op.process);
    else {
      c[op.type]++;
      open.delete(op.process);
    }
  }
  c.pending = open.size;
  return c;
}

/** Completions per one-second bin, by outcome. */
export function throughput(points: readonly LatencyPoint[]): ThroughputBin[] {
  const bins: ThroughputBin[] = [];
  for (const p of points) {
    const end = p.at + p.latencyMs / 1000;
    const i = Math.floor(end);
    while (bins.length <= i) bins.push({ at: bins.length, ok: 0, fail: 0, info: 0 });
    bins[i]![p.type]++;
  }
  return bins;
}
