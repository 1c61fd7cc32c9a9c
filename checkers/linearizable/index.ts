// The linearizability checker: is there a total order of the client ops, consistent with real
// time, that the sequential model accepts? See docs/checkers.md.
import type { Op } from "../../histories/op.ts";
import type { CheckResult } from "../types.ts";
import { Budget } from "./budget.ts";
import { explain, type Explanation } from "./explain.ts";
import { createModel, type Model, type NilRead } from "./models/index.ts";
import { preparePartitions } from "./prepare.ts";
import { searchLinearization } from "./search.ts";
import { showValue } from "./values.ts";

export { MODELS, createModel } from "./models/index.ts";
export type { Model, ModelOp, ModelOptions, NilRead } from "./models/index.ts";
export type { Explanation, ExplainedOp } from "./explain.ts";

export interface LinearizableOptions {
  /** A model name (see MODELS) or a Model object. */
  model: string | Model;
  /** Initial value (a plain object: one per key). With a Model object, replaces its init. */
  init?: unknown;
  /** What a read of nil means; defaults per model (see docs/checkers.md). */
  nilRead?: NilRead;
  /** Past this the verdict is "unknown" (default 60 s). */
  timeLimitMs?: number;
  /** Memory the search's memo tables may hold (default 1024 MB). */
  memoryLimitMb?: number;
}

export interface LinearizableResult extends CheckResult {
  model: string;
  /** Client ops in the history, and partitions (keys) checked out of all. */
  ops: number;
  partitions: number;
  partitionsChecked: number;
  /** Search configurations explored; how long the check took. */
  explored: number;
  elapsedMs: number;
  /** The search's own estimate of its peak memory (what --memory-limit-mb is held to), and
   *  the process's resident set size at the start and at its highest (sampled) while
   *  checking, to compare with. */
  memory: { estimatedPeakMb: number; rssAtStartMb: number; rssPeakMb: number };
  /** Present when valid is false. */
  explanation?: Explanation;
}

export async function checkLinearizable(
  history: Op[],
  opts: LinearizableOptions,
): Promise<LinearizableResult> {
  const started = performance.now();
  let model: Model;
  if (typeof opts.model === "string") {
    model = createModel(opts.model, { init: opts.init, nilRead: opts.nilRead });
  } else {
    model = opts.model;
    if (opts.init !== undefined) model = { ...model, init: opts.init, initFor: undefined };
  }
  const budget = new Budget(opts.timeLimitMs, opts.memoryLimitMb);
  const { partitions, clientOps } = preparePartitions(history, model);
  budget.startMeasuring();
  // Small partitions first: a violation in any of them ends the check sooner.
  partitions.sort((a, b) => a.ops.length - b.ops.length);

  const result = (
    valid: LinearizableResult["valid"],
    extra: Partial<LinearizableResult>,
  ): LinearizableResult => ({
    valid,
    model: model.name,
    ops: clientOps,
    partitions: partitions.length,
    partitionsChecked,
    explored,
    elapsedMs: Math.round((performance.now() - started) * 10) / 10,
    memory: {
      estimatedPeakMb: mb(budget.peakMemoBytes),
      rssAtStartMb: mb(budget.rssAtStart),
      rssPeakMb: mb(Math.max(budget.peakRss, budget.rssAtStart && process.memoryUsage.rss())),
    },
    ...extra,
  });

  let explored = 0;
  let partitionsChecked = 0;
  let unknownReason: string | undefined;
  for (const part of partitions) {
    const init = model.initFor ? model.initFor(part.key) : model.init;
    budget.memoBytes = 0; // each partition's memo table is dropped when it is done
    const outcome = searchLinearization(model, init, part.ops, budget);
    explored += outcome.explored;
    partitionsChecked++;
    if (outcome.valid === false) {
      // Stop at the first violation: the other partitions cannot change the verdict.
      const explanation = explain(model, init, part, outcome.failedOp, outcome.prefix);
      return result(false, { reason: summary(explanation), explanation });
    }
    // Let this partition's ops be collected: a large history need not stay twice in memory.
    part.ops = [];
    part.source = [];
    if (outcome.valid === "unknown") {
      unknownReason = `${outcome.reason}; checked ${partitionsChecked - 1} of ${partitions.length} partitions`;
      if (budget.exceeded()) return result("unknown", { reason: unknownReason });
    }
  }
  if (unknownReason) return result("unknown", { reason: unknownReason });
  return result(true, {
    reason: `linearizable: ${clientOps} client ops in ${partitions.length} partition(s)`,
  });
}

const mb = (bytes: number) => Math.round(bytes / 104857.6) / 10;

function describeOp(o: Explanation["op"]): string {
  const key = o.key !== undefined ? ` ${o.key}` : "";
  const value = o.value === undefined ? "" : ` ${showValue(o.value)}`;
  const how = o.type === "info" ? ", outcome unknown" : "";
  const span = o.completeIndex !== undefined ? `${o.index}->${o.completeIndex}` : `${o.index}`;
  return `op ${span} (process ${o.process}: ${o.f}${key}${value}${how})`;
}

function summary(e: Explanation): string {
  return `not linearizable: ${describeOp(e.op)} cannot be linearized${e.key ? ` on key ${e.key}` : ""}`;
}

/** A few console lines: the verdict and, for a violation, what cannot be ordered and why. */
export function formatExplanation(result: CheckResult): string[] {
  if (result.valid === true) return [`valid: ${result.reason ?? "linearizable"}`];
  if (result.valid === "unknown")
    return [`unknown: ${result.reason ?? "the check could not decide"}`];
  const e = result.explanation as Explanation | undefined;
  if (!e) return [`invalid: ${result.reason ?? "not linearizable"}`];
  const lines = [
    `invalid: ${describeOp(e.op)} cannot be linearized${e.key ? ` (key ${e.key})` : ""}.`,
  ];
  if (e.prefixLength === 0) {
    lines.push(
      `  No op could be linearized before it; the state was the initial ${e.stateAfterPrefix}.`,
    );
  } else {
    const last = e.prefix
      .slice(-3)
      .map((p) => `${p.f}${p.value === undefined ? "" : " " + showValue(p.value)} (op ${p.index})`);
    lines.push(
      `  Longest consistent linearization: ${e.prefixLength} ops, ending ${last.join(", ")}; state then: ${e.stateAfterPrefix}.`,
    );
  }
  if (e.conflicting.length > 0) {
    lines.push(`  It conflicts with (without any one of these it could be linearized):`);
    for (const o of e.conflicting.slice(0, 6)) lines.push(`    ${describeOp(o)}`);
    if (e.conflicting.length > 6) lines.push(`    ... and ${e.conflicting.length - 6} more`);
  } else {
    lines.push(`  No single other op explains it: removing any one still leaves it impossible.`);
  }
  if (e.concurrent.length > 0) {
    const shown = e.concurrent
      .slice(0, 4)
      .map((o) => `op ${o.index} (${o.f}${o.value === undefined ? "" : " " + showValue(o.value)})`);
    const more = e.concurrent.length > 4 ? ` and ${e.concurrent.length - 4} more` : "";
    lines.push(`  Concurrent with it: ${shown.join(", ")}${more}.`);
  }
  return lines;
}
