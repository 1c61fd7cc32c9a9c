// The live check's thread (harness/run/live-check.ts): it holds the ops of the run so far and,
// when asked, checks them with the run's prefix-closed checkers. A check of a long history
// takes a while; on the control process's own thread it would hold up the clients' replies.
import { parentPort, workerData } from "node:worker_threads";
import { composeSpecs, type CheckerSpec, type CheckBudget } from "../../checkers/index.ts";
import type { Op } from "../../histories/op.ts";

export interface LiveCheckRequest {
  /** Ops recorded since the last request, in order. */
  ops: Op[];
}

export interface LiveCheckReply {
  valid: true | false | "unknown";
  /** Ops checked: the prefix this verdict is about. */
  ops: number;
  /** The checkers (their result names) that found a violation. */
  violated: string[];
  /** Their explanation lines. */
  explanation: string[];
  elapsedMs: number;
}

const { specs, budget } = workerData as { specs: CheckerSpec[]; budget: CheckBudget };
// Every checker is told that the history is the prefix of a run still going.
const checker = composeSpecs(specs.map((s) => ({ ...s, options: { ...s.options, live: true } })));
const history: Op[] = [];

parentPort!.on("message", async (request: LiveCheckRequest) => {
  for (const op of request.ops) history.push(op);
  const started = performance.now();
  const result = await checker.check(history, budget);
  const results = (result.results ?? {}) as Record<string, { valid: unknown }>;
  const violated = Object.keys(results).filter((name) => results[name]!.valid === false);
  const reply: LiveCheckReply = {
    valid: result.valid,
    ops: history.length,
    violated,
    explanation: result.valid === false ? checker.explain(result) : [],
    elapsedMs: performance.now() - started,
  };
  parentPort!.postMessage(reply);
});
