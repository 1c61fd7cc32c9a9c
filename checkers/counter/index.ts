// An eventually consistent counter (Maelstrom's g-counter and pn-counter: `add` a delta,
// `read` the total), judged on the final reads of every node (checkers/final-reads.ts):
// - convergence: every node's final read is the same value;
// - bounds: that value lies within what the adds allow. An ok add certainly applied, a fail
//   add certainly did not, an info (or never completed) add may or may not have, so
//     lower = sum(ok deltas) + sum(min(0, d) over info adds)
//     upper = sum(ok deltas) + sum(max(0, d) over info adds).
// Reads before the end are checked against what could have applied by then: only adds
// invoked before the read completed, each of which may or may not be visible yet (an
// eventually consistent counter may serve a stale read, so an acknowledged add need not be
// in a later read on another node; no lower bound from ok adds holds there):
//     [sum(min(0, d)), sum(max(0, d))] over adds (not failed) invoked before it completed.
import type { Op } from "../../histories/op.ts";
import { pairHistory, type PairedOp } from "../../histories/pair.ts";
import type { Checker, CheckerOptions } from "../checker.ts";
import type { CheckResult } from "../types.ts";
import { firstFew, maxReported, show } from "../elements.ts";
import { byNodeName, describeFinalReads, finalReads, readerOf } from "../final-reads.ts";

export interface CounterRead {
  /** The op index of the read's completion, its node and the value it returned. */
  read: number;
  node: string;
  value: unknown;
  lower: number;
  upper: number;
}

export interface CounterResult extends CheckResult {
  finalReads: "marked" | "inferred";
  nodes: string[];
  nodesWithoutFinalRead: string[];
  adds: { ok: number; info: number; fail: number };
  /** Sum of the acknowledged deltas, and the bounds of the final value. */
  okSum: number;
  lower: number;
  upper: number;
  /** Each node's final value (its last final read). */
  finalValues: Record<string, unknown>;
  /** True when every node's final read returned the same value. */
  converged: boolean;
  /** Final reads outside [lower, upper] (or not an integer). */
  outOfBounds: CounterRead[];
  /** Reads before the end: how many were checked, and those that no set of adds explains. */
  intermediate: { checked: number; impossible: number; reads: CounterRead[] };
}

export function checkCounter(
  history: Op[],
  options: CheckerOptions = {},
): CounterResult | CheckResult {
  const report = maxReported(options);
  const paired = pairHistory(history);
  const adds = paired.filter((p) => p.f === "add");
  const notNumber = adds.find(
    (p) => typeof p.invoke.value !== "number" || !Number.isFinite(p.invoke.value),
  );
  if (notNumber)
    return {
      valid: "unknown",
      reason: `add op ${notNumber.invoke.index} has delta ${show(notNumber.invoke.value)}, not a number: the counter cannot be checked`,
    };
  const delta = (p: PairedOp) => p.invoke.value as number;

  const ok = adds.filter((p) => p.type === "ok");
  const info = adds.filter((p) => p.type === "info");
  const okSum = ok.reduce((s, p) => s + delta(p), 0);
  const lower = okSum + info.reduce((s, p) => s + Math.min(0, delta(p)), 0);
  const upper = okSum + info.reduce((s, p) => s + Math.max(0, delta(p)), 0);

  const final = finalReads(history, paired, "read", options.nodes);
  const finalValues: Record<string, unknown> = {};
  const outOfBounds: CounterRead[] = [];
  for (const reader of [...final.last.keys()].sort(byNodeName)) {
    const p = final.last.get(reader)!;
    finalValues[reader] = p.value;
    if (!isInteger(p.value) || p.value < lower || p.value > upper)
      outOfBounds.push({ read: p.completion!.index, node: reader, value: p.value, lower, upper });
  }
  const distinct = new Set(Object.values(finalValues).map((v) => JSON.stringify(v)));
  const converged = distinct.size <= 1;

  const intermediate = checkIntermediate(paired, adds, report);
  const result: CounterResult = {
    valid: true,
    finalReads: final.how,
    nodes: final.readers,
    nodesWithoutFinalRead: final.missing,
    adds: { ok: ok.length, info: info.length, fail: adds.length - ok.length - info.length },
    okSum,
    lower,
    upper,
    finalValues,
    converged,
    outOfBounds,
    intermediate,
  };
  const broken = [
    !converged && `final reads differ across nodes (${[...distinct].join(", ")})`,
    outOfBounds.length > 0 && `${outOfBounds.length} final reads outside [${lower}, ${upper}]`,
    intermediate.impossible > 0 && `${intermediate.impossible} reads no set of adds explains`,
  ].filter(Boolean);
  if (broken.length > 0) {
    result.valid = false;
    result.reason = broken.join("; ");
  } else if (final.all.length === 0) {
    result.valid = "unknown";
    result.reason = "no final read succeeded: nothing is known of the value the nodes converged to";
  } else if (final.missing.length > 0) {
    result.valid = "unknown";
    result.reason = `no final read succeeded on ${final.missing.join(", ")}: convergence is unknown there`;
  } else {
    const v = Object.values(finalValues)[0];
    result.reason = `all ${final.last.size} nodes read ${show(v)}, within [${lower}, ${upper}]`;
  }
  return result;
}

function isInteger(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

/** Every ok read against the adds (not failed) invoked before it completed: prefix sums over
 *  adds in invocation order, a binary search per read. */
function checkIntermediate(paired: PairedOp[], adds: PairedOp[], report: number) {
  const live = adds.filter((p) => p.type !== "fail").sort((a, b) => a.invokePos - b.invokePos);
  const pos = live.map((p) => p.invokePos);
  const neg = [0];
  const posSum = [0];
  for (const p of live) {
    const d = p.invoke.value as number;
    neg.push(neg[neg.length - 1]! + Math.min(0, d));
    posSum.push(posSum[posSum.length - 1]! + Math.max(0, d));
  }
  const bad: CounterRead[] = [];
  let checked = 0;
  for (const p of paired) {
    if (p.f !== "read" || p.type !== "ok") continue;
    checked++;
    const n = countBefore(pos, p.completePos);
    const lower = neg[n]!;
    const upper = posSum[n]!;
    if (!isInteger(p.value) || p.value < lower || p.value > upper)
      bad.push({ read: p.completion!.index, node: readerOf(p), value: p.value, lower, upper });
  }
  return { checked, impossible: bad.length, reads: firstFew(bad, report) };
}

/** How many of the sorted positions are below `limit`. */
function countBefore(sorted: number[], limit: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function explainCounter(result: CheckResult): string[] {
  const r = result as CounterResult;
  if (!r.adds) return [];
  const values = Object.entries(r.finalValues)
    .map(([n, v]) => `${n}=${show(v)}`)
    .join(", ");
  const lines = [
    `adds: ${r.adds.ok} ok (sum ${r.okSum}), ${r.adds.info} of unknown outcome, ${r.adds.fail} failed; the final value must lie in [${r.lower}, ${r.upper}]`,
    `convergence (every node's final read is the same): ${r.converged ? "ok" : "violated"}; final reads: ${values || "(none)"}`,
    `bounds: ${r.outOfBounds.length === 0 ? "ok" : `${r.outOfBounds.length} final reads outside them`}`,
    ...r.outOfBounds.map((b) => `  ${b.node} read ${show(b.value)} (op ${b.read})`),
    `reads before the end: ${r.intermediate.checked} checked, ${r.intermediate.impossible} impossible`,
    ...r.intermediate.reads.map(
      (b) =>
        `  ${b.node} read ${show(b.value)} (op ${b.read}); the adds invoked by then allow [${b.lower}, ${b.upper}]`,
    ),
    describeFinalReads({ how: r.finalReads, missing: r.nodesWithoutFinalRead }),
  ];
  return lines;
}

export const counterChecker: Checker = {
  name: "counter",
  description:
    "g-counter / pn-counter: final reads of all nodes equal and within the sums the adds allow",
  check: async (history, options) => checkCounter(history, options),
  explain: explainCounter,
};
