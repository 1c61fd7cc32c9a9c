// The linearizability checker in the registry's shape (options: model, init, nilRead).
import { UserError } from "../../core/errors.ts";
import type { Checker } from "../checker.ts";
import { MODELS, checkLinearizable, formatExplanation, type NilRead } from "./index.ts";

export const linearizableChecker: Checker = {
  name: "linearizable",
  prefixClosed: true,
  // Every model judges each key alone (its partitionKey is the op's key).
  independentKeys: true,
  description: "a total order consistent with real time that a sequential model accepts",
  async check(history, options) {
    const model = options.model;
    if (typeof model !== "string" || !(model in MODELS))
      throw new UserError(
        `The linearizable checker needs a model, one of: ${Object.keys(MODELS).join(", ")}${model === undefined ? "" : ` (got ${JSON.stringify(model)})`}.`,
      );
    // Ops of other kinds a workload records beside the model's (pbft's executed logs).
    const ignore = Array.isArray(options.ignore) ? new Set(options.ignore as unknown[]) : undefined;
    const ops = ignore ? history.filter((op) => !ignore.has(op.f)) : history;
    return checkLinearizable(ops, {
      model,
      init: options.init,
      nilRead: options.nilRead as NilRead | undefined,
      timeLimitMs: options.timeLimitMs,
      memoryLimitMb: options.memoryLimitMb,
    });
  },
  explain: formatExplanation,
};
