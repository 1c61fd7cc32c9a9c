// Explaining a violation: the op that cannot be linearized, the longest consistent
// linearization found before it, and a smallest set of ops that, from the state that
// linearization reaches, cannot be ordered. The set is found by shrinking: start from every op
// not yet linearized that was invoked before the failing op completed, and drop each op whose
// removal keeps the set impossible.
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
  /** The other ops of the smallest set found, which with `op` cannot be ordered. */
  concurrent: ExplainedOp[];
  /** False when shrinking was cut short: `concurrent` may hold more ops than needed. */
  minimal: boolean;
}

const PREFIX_KEPT = 1000;
const SHRINK_TIME_MS = 500;
const SHRINK_MAX_OPS = 200;

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

  const { set, minimal } = smallestSet(
    model,
    state,
    part.ops,
    new Set(steps.map((s) => s.op)),
    failedOp,
  );
  return {
    key: part.key,
    op: show(failedOp),
    prefixLength: steps.length,
    prefix: steps
      .slice(-PREFIX_KEPT)
      .map((s) => ({ ...show(s.op), stateAfter: model.describe(s.state as S) })),
    stateAfterPrefix: model.describe(state),
    concurrent: set.filter((i) => i !== failedOp).map(show),
    minimal,
  };
}

/** The ops of the history cut at b's completion, minus the prefix, as a fresh search input. */
function subproblem(ops: SearchOp[], members: number[], b: number): SearchOp[] {
  const cut = ops[b].retPos;
  return members.map((i) => {
    // An op still running when b completed may or may not have taken effect by then.
    const ok = ops[i].ok && ops[i].retPos <= cut;
    return { ...ops[i], ok, retPos: ok ? ops[i].retPos : Infinity };
  });
}

function impossible<S>(
  model: Model<S>,
  state: S,
  ops: SearchOp[],
  members: number[],
  b: number,
  deadline: number,
): boolean | undefined {
  const budget = new Budget(Math.max(1, deadline - performance.now()), 256);
  const r = searchLinearization(model, state, subproblem(ops, members, b), budget);
  return r.valid === "unknown" ? undefined : r.valid === false;
}

function smallestSet<S>(
  model: Model<S>,
  state: S,
  ops: SearchOp[],
  inPrefix: Set<number>,
  b: number,
): { set: number[]; minimal: boolean } {
  const cut = ops[b].retPos;
  let members: number[] = [];
  for (let i = 0; i < ops.length; i++)
    if (!inPrefix.has(i) && ops[i].callPos < cut) members.push(i);
  // Ops overlapping b in time: the fallback answer when shrinking cannot run.
  const overlapping = members.filter(
    (i) => i === b || !ops[i].ok || ops[i].retPos > ops[b].callPos,
  );
  const deadline = performance.now() + SHRINK_TIME_MS;
  if (
    members.length > SHRINK_MAX_OPS ||
    impossible(model, state, ops, members, b, deadline) !== true
  ) {
    return { set: overlapping, minimal: false };
  }
  // Try dropping info ops first (rarely needed), then the ops furthest from b.
  const order = members
    .filter((i) => i !== b)
    .sort(
      (x, y) =>
        Number(ops[y].ok === false) - Number(ops[x].ok === false) ||
        ops[x].callPos - ops[y].callPos,
    );
  let minimal = true;
  for (const drop of order) {
    if (performance.now() > deadline) {
      minimal = false;
      break;
    }
    const without = members.filter((i) => i !== drop);
    if (impossible(model, state, ops, without, b, deadline) === true) members = without;
  }
  return { set: members, minimal };
}
