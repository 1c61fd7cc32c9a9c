// Explaining a violation: the op that cannot be linearized, the longest consistent
// linearization found before it, the ops concurrent with it, and the ops it conflicts with:
// those without any one of which the history, up to the failing op's completion, would be
// linearizable (the write a stale read missed, the other cas that won, the append that was
// lost). Conflicting ops are found by removing each candidate in turn and searching again.
import type { PairedOp } from "../../histories/pair.ts";
import { Budget } from "./budget.ts";
import type { Model } from "./models/model.ts";
import type { Partition } from "./prepare.ts";
import { searchLinearization, type LinearizationStep, type SearchOp } from "./search.ts";

/** An op as explanations show it. `index` is the index of its invocation in the history. */
export interface ExplainedOp {
  index: number;
  process: number;
  f: string;
  key?: string;
  value: unknown;
  type: "ok" | "info";
  completeIndex?: number;
}

export interface Explanation {
  /** The partition (key) the violation is in; "" for an unsplit history. */
  key: string;
  /** The op that cannot be linearized. */
  op: ExplainedOp;
  /** How many ops the longest consistent linearization holds. */
  prefixLength: number;
  /** Its last ops (up to 1,000), each with the model state after it. */
  prefix: (ExplainedOp & { stateAfter: string })[];
  /** The model state after the whole prefix. */
  stateAfterPrefix: string;
  /** Ops overlapping `op` in real time (invoked before it completed, not completed before it
   *  was invoked), up to 50. */
  concurrent: ExplainedOp[];
  /** The smallest set of ops involved: each one, were it absent, would let `op` be linearized. */
  conflicting: ExplainedOp[];
  /** False when not every candidate could be tried within the explanation's time budget. */
  complete: boolean;
  /** The ops of the same key around `op` (up to 60, by invocation): the failing op, the ops
   *  it conflicts with, the ones concurrent with it and the last ops of the prefix, and every
   *  op overlapping the span they cover; what the report's timeline draws. */
  window: ExplainedOp[];
}

const PREFIX_KEPT = 1000;
const CONCURRENT_KEPT = 50;
/** Time for the searches that find conflicting ops, and how many candidates they try. */
const CONFLICT_TIME_MS = 500;
const CONFLICT_CANDIDATES = 40;
/** Candidates include this many of the ops completed just before the failing op began. */
const RECENT_PREDECESSORS = 20;
/** The timeline window: at most this many ops, anchored on this many last prefix ops. */
const WINDOW_KEPT = 60;
const WINDOW_PREFIX_ANCHORS = 8;

export function explainedOp(p: PairedOp, type: "ok" | "info"): ExplainedOp {
  const e: ExplainedOp = {
    index: p.invoke.index,
    process: p.process,
    f: p.f,
    value: p.value,
    type,
  };
  if (p.key !== undefined) e.key = p.key;
  if (p.completion) e.completeIndex = p.completion.index;
  return e;
}

export function explain<S>(
  model: Model<S>,
  init: S,
  part: Partition,
  failedOp: number,
  prefix: LinearizationStep | undefined,
): Explanation {
  const steps: LinearizationStep[] = [];
  for (let s = prefix; s; s = s.parent) steps.push(s);
  steps.reverse();
  const state = (steps.length ? steps[steps.length - 1].state : init) as S;
  const show = (i: number) => explainedOp(part.source[i], part.ops[i].ok ? "ok" : "info");
  const ops = part.ops;
  const b = ops[failedOp];
  const overlapping: number[] = [];
  for (let i = 0; i < ops.length; i++) {
    if (i !== failedOp && ops[i].callPos < b.retPos && ops[i].retPos > b.callPos)
      overlapping.push(i);
  }
  const { conflicting, complete } = findConflicting(model, init, ops, failedOp, overlapping);
  return {
    key: part.key,
    op: show(failedOp),
    prefixLength: steps.length,
    prefix: steps
      .slice(-PREFIX_KEPT)
      .map((s) => ({ ...show(s.op), stateAfter: model.describe(s.state as S) })),
    stateAfterPrefix: model.describe(state),
    concurrent: overlapping.slice(0, CONCURRENT_KEPT).map(show),
    conflicting: conflicting.map(show),
    complete,
    window: timelineWindow(ops, failedOp, [
      ...conflicting,
      ...overlapping.slice(0, CONCURRENT_KEPT),
      ...steps.slice(-WINDOW_PREFIX_ANCHORS).map((s) => s.op),
    ]).map(show),
  };
}

/** The ops to draw around the failing op `b`: the anchors (b, its conflicting and concurrent
 *  ops, the prefix's last ops) and every op overlapping the span from the first anchor's
 *  invocation to b's completion; past WINDOW_KEPT, the anchors and then the ops invoked
 *  nearest to b. In order of invocation. */
function timelineWindow(ops: SearchOp[], b: number, anchors: number[]): number[] {
  const anchored = new Set([b, ...anchors]);
  let lo = ops[b].callPos;
  let hi = Number.isFinite(ops[b].retPos) ? ops[b].retPos : ops[b].callPos;
  for (const a of anchored) {
    lo = Math.min(lo, ops[a].callPos);
    hi = Math.max(hi, ops[a].callPos);
  }
  const inSpan: number[] = [];
  for (let i = 0; i < ops.length; i++) {
    if (!anchored.has(i) && ops[i].callPos <= hi && ops[i].retPos >= lo) inSpan.push(i);
  }
  const distance = (i: number) => Math.abs(ops[i].callPos - ops[b].callPos);
  const chosen = [...anchored].sort((x, y) => distance(x) - distance(y)).slice(0, WINDOW_KEPT);
  inSpan.sort((x, y) => distance(x) - distance(y));
  for (const i of inSpan) {
    if (chosen.length >= WINDOW_KEPT) break;
    chosen.push(i);
  }
  return chosen.sort((x, y) => ops[x].callPos - ops[y].callPos);
}

/** The ops invoked before `b` completed, as a fresh search input cut at b's completion: an op
 *  still running then may or may not have taken effect by then, so it counts as info (and a
 *  read still running then is left out, as info reads are). */
function truncated<S>(model: Model<S>, ops: SearchOp[], b: number, without: number): SearchOp[] {
  const cut = ops[b].retPos;
  const out: SearchOp[] = [];
  for (let i = 0; i < ops.length; i++) {
    if (i === without || ops[i].callPos >= cut) continue;
    const ok = ops[i].ok && ops[i].retPos <= cut;
    if (ok === ops[i].ok) out.push(ops[i]);
    else if (!model.readOnly(ops[i])) out.push({ ...ops[i], ok, retPos: Infinity });
  }
  return out;
}

function findConflicting<S>(
  model: Model<S>,
  init: S,
  ops: SearchOp[],
  b: number,
  overlapping: number[],
): { conflicting: number[]; complete: boolean } {
  // Candidates: the ops overlapping b, then the ok ops that completed last before b began.
  const before: number[] = [];
  for (let i = 0; i < ops.length; i++) {
    if (ops[i].ok && ops[i].retPos < ops[b].callPos) before.push(i);
  }
  before.sort((x, y) => ops[y].retPos - ops[x].retPos);
  const candidates = [...overlapping, ...before.slice(0, RECENT_PREDECESSORS)];
  const deadline = performance.now() + CONFLICT_TIME_MS;
  const conflicting: number[] = [];
  let complete = candidates.length <= CONFLICT_CANDIDATES;
  for (const c of candidates.slice(0, CONFLICT_CANDIDATES)) {
    const left = deadline - performance.now();
    if (left <= 0) {
      complete = false;
      break;
    }
    const r = searchLinearization(model, init, truncated(model, ops, b, c), new Budget(left, 256));
    if (r.valid === "unknown") complete = false;
    if (r.valid === true) conflicting.push(c);
  }
  conflicting.sort((x, y) => ops[x].callPos - ops[y].callPos);
  return { conflicting, complete };
}
