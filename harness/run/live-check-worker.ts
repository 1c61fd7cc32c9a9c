// The live check's thread (harness/run/live-check.ts): it holds the ops of the run so far and,
// when asked, checks them with the run's prefix-closed checkers. A check of a long history
// takes a while; on the control process's own thread it would hold up the clients' replies.
//
// When every checker judges keys independently (lin-kv), the ops are kept per key, and a key
// that has been retired (no op invoked on it for a while and none in flight) is judged one
// last time and then let go: a long run's check and memory stay bounded as its workload moves
// on to fresh keys. Ops without a key are kept whole.
import { parentPort, workerData } from "node:worker_threads";
import {
  composeSpecs,
  getChecker,
  type CheckerSpec,
  type CheckBudget,
} from "../../checkers/index.ts";
import type { Op } from "../../histories/op.ts";

export interface LiveCheckRequest {
  /** Ops recorded since the last request, in order. */
  ops: Op[];
}

export interface LiveCheckReply {
  valid: true | false | "unknown";
  /** Ops checked: the prefix this verdict is about. */
  ops: number;
  /** Ops held now (after retired keys were let go). */
  held: number;
  /** Keys judged for the last time and let go, so far. */
  retiredKeys: number;
  /** The checkers (their result names) that found a violation. */
  violated: string[];
  /** Their explanation lines. */
  explanation: string[];
  elapsedMs: number;
}

const { specs, budget, retireAfterNs } = workerData as {
  specs: CheckerSpec[];
  budget: CheckBudget;
  /** A key with no op invoked for this long (run clock) and none in flight is retired. */
  retireAfterNs: number;
};
// Every checker is told that the history is the prefix of a run still going.
const checker = composeSpecs(specs.map((s) => ({ ...s, options: { ...s.options, live: true } })));
const byKey = specs.every((s) => getChecker(s.checker).independentKeys === true);

/** One key's ops (or, under "", the ops without a key), and what is in flight on it. */
interface KeyOps {
  ops: Op[];
  lastInvokeNs: number;
  inFlight: Set<number | string>;
}

const keys = new Map<string, KeyOps>();
const unkeyed: Op[] = [];
let received = 0;
let retiredKeys = 0;
let retiredUnknown = false;
let nowNs = 0;

function keep(op: Op): void {
  received++;
  nowNs = Math.max(nowNs, op.time);
  if (!byKey || op.key === undefined || op.process === "nemesis") return void unkeyed.push(op);
  let k = keys.get(op.key);
  if (!k) keys.set(op.key, (k = { ops: [], lastInvokeNs: 0, inFlight: new Set() }));
  k.ops.push(op);
  if (op.type === "invoke") {
    k.lastInvokeNs = op.time;
    k.inFlight.add(op.process);
  } else k.inFlight.delete(op.process);
}

/** The keys retired by now: judged once more below, then let go. */
function retiring(): string[] {
  const out: string[] = [];
  for (const [key, k] of keys)
    if (k.inFlight.size === 0 && nowNs - k.lastInvokeNs > retireAfterNs) out.push(key);
  return out;
}

parentPort!.on("message", async (request: LiveCheckRequest) => {
  for (const op of request.ops) keep(op);
  const started = performance.now();
  const retired = retiring();
  // Every op held, in history order: the keys' ops and the unkeyed ones interleave.
  const history = [...unkeyed, ...[...keys.values()].flatMap((k) => k.ops)].sort(
    (a, b) => a.index - b.index,
  );
  const result = await checker.check(history, budget);
  const results = (result.results ?? {}) as Record<string, { valid: unknown }>;
  const violated = Object.keys(results).filter((name) => results[name]!.valid === false);
  if (result.valid !== false) {
    for (const key of retired) keys.delete(key);
    retiredKeys += retired.length;
    // A retired key judged unknown stays unknown: its ops are gone.
    if (result.valid === "unknown" && retired.length > 0) retiredUnknown = true;
  }
  const valid = result.valid === true && retiredUnknown ? "unknown" : result.valid;
  const reply: LiveCheckReply = {
    valid,
    ops: received,
    held: unkeyed.length + [...keys.values()].reduce((n, k) => n + k.ops.length, 0),
    retiredKeys,
    violated,
    explanation: result.valid === false ? checker.explain(result) : [],
    elapsedMs: performance.now() - started,
  };
  parentPort!.postMessage(reply);
});
