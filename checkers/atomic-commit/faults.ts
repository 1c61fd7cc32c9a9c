// The nemesis's faults as windows on the run clock, and when the coordinator was down.
//
// The nemesis records each fault as four ops: an invoke and an info when it starts (`kill`,
// `pause`, `start-partition`, ...), an invoke and an info when it stops (`start`, `resume`,
// `stop-partition`, ...); `value` is the list of nodes it hit. Which record counts:
// - a fault may be in effect from the invoke that starts it to the info that ends its heal:
//   that whole span is the fault's *active* window (non-triviality leaves out every
//   transaction that overlaps one);
// - the coordinator is *down* from the info of a `kill` or `pause` that hit it (the fault is in
//   place) to the info of the `start` or `resume` (it runs again). A staggered kill that froze
//   the coordinator without killing it (`detail.frozen`) counts as a pause for as long.
// A fault that never stops lasts until the end of the history.
import type { Op } from "../../histories/op.ts";

const NS_PER_MS = 1_000_000;

export interface FaultWindow {
  /** The `f` that started it: kill, pause, start-partition, ... */
  kind: string;
  nodes: string[];
  /** Nodes a staggered kill froze (paused) while the others were down. */
  frozen: string[];
  /** Run-clock ms of its records: start invoke, start info, stop invoke, stop info. */
  invokedMs: number;
  appliedMs: number | null;
  healingMs: number | null;
  healedMs: number | null;
}

/** A closed interval on the run clock, ms. */
export interface Interval {
  from: number;
  to: number;
}

/** The `f` that stops a fault started by `f`, or undefined if `f` starts none. */
function stopOf(f: string): string | undefined {
  if (f === "kill") return "start";
  if (f === "pause") return "resume";
  if (f.startsWith("start-") && f.length > 6) return "stop-" + f.slice(6);
  return undefined;
}

/** The `f` that started the fault `f` stops, or undefined if `f` stops none. */
function startOf(f: string): string | undefined {
  if (f === "start") return "kill";
  if (f === "resume") return "pause";
  if (f.startsWith("stop-") && f.length > 5) return "start-" + f.slice(5);
  return undefined;
}

function nodesOf(op: Op): string[] {
  return Array.isArray(op.value) ? op.value.filter((n) => typeof n === "string").sort() : [];
}

function frozenOf(op: Op): string[] {
  const frozen = (op.detail as { frozen?: unknown } | undefined)?.frozen;
  return Array.isArray(frozen) ? frozen.filter((n) => typeof n === "string") : [];
}

/** Every fault of the history, in order of start. Each stop record goes to the earliest open
 *  fault of its kind on the same nodes (else of its kind on any nodes). */
export function faultWindows(history: Op[]): FaultWindow[] {
  const windows: FaultWindow[] = [];
  const sameNodes = (w: FaultWindow, nodes: string[]) => w.nodes.join() === nodes.join();
  const pick = (candidates: FaultWindow[], nodes: string[]) =>
    candidates.find((w) => sameNodes(w, nodes)) ?? candidates[0];
  for (const op of history) {
    if (op.process !== "nemesis") continue;
    const ms = op.time / NS_PER_MS;
    const nodes = nodesOf(op);
    if (stopOf(op.f)) {
      const frozen = frozenOf(op);
      const pending =
        op.type === "invoke"
          ? undefined
          : pick(
              windows.filter((w) => w.kind === op.f && w.appliedMs === null),
              nodes,
            );
      if (pending) {
        pending.appliedMs = ms;
        if (frozen.length > 0) pending.frozen = frozen;
      } else {
        windows.push({
          kind: op.f,
          nodes,
          frozen,
          invokedMs: ms,
          appliedMs: op.type === "invoke" ? null : ms,
          healingMs: null,
          healedMs: null,
        });
      }
      continue;
    }
    const kind = startOf(op.f);
    if (!kind) continue;
    const open = windows.filter((w) => w.kind === kind && w.healedMs === null);
    if (op.type === "invoke") {
      const w = pick(
        open.filter((w) => w.healingMs === null),
        nodes,
      );
      if (w) w.healingMs = ms;
    } else {
      const w =
        pick(
          open.filter((w) => w.healingMs !== null),
          nodes,
        ) ?? pick(open, nodes);
      if (w) {
        w.healingMs ??= ms;
        w.healedMs = ms;
      }
    }
  }
  return windows;
}

/** The spans where a fault may have been in effect. */
export function activeIntervals(windows: FaultWindow[], endMs: number): Interval[] {
  return merge(windows.map((w) => ({ from: w.invokedMs, to: w.healedMs ?? endMs })));
}

/** The spans where `node` was killed or paused (or frozen by a staggered kill), merged. */
export function downIntervals(windows: FaultWindow[], node: string, endMs: number): Interval[] {
  const down = windows.filter(
    (w) =>
      ((w.kind === "kill" || w.kind === "pause") && w.nodes.includes(node)) ||
      (w.kind === "kill" && w.frozen.includes(node)),
  );
  return merge(down.map((w) => ({ from: w.appliedMs ?? w.invokedMs, to: w.healedMs ?? endMs })));
}

/** Sorted, non-overlapping intervals covering the same time. */
export function merge(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.to >= i.from).sort((a, b) => a.from - b.from);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.from <= last.to) last.to = Math.max(last.to, i.to);
    else out.push({ ...i });
  }
  return out;
}

/** How much of [from, to] the merged `intervals` cover, ms. */
export function overlapMs(from: number, to: number, intervals: Interval[]): number {
  let total = 0;
  for (const i of intervals) {
    if (i.from >= to) break;
    total += Math.max(0, Math.min(to, i.to) - Math.max(from, i.from));
  }
  return total;
}

/** True when [from, to] touches any of the merged `intervals`. */
export function touches(from: number, to: number, intervals: Interval[]): boolean {
  let lo = 0;
  let hi = intervals.length;
  // The first interval ending at or after `from`.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (intervals[mid]!.to < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < intervals.length && intervals[lo]!.from <= to;
}
