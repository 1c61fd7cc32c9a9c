// The interface every sequential model implements. The checker asks a model only these
// questions; adding a model means writing one object with these fields (see docs/checkers.md).
import { UserError } from "../../../core/errors.ts";

/** Returned by `step` when the op could not have happened in that state. */
export const INCONSISTENT: unique symbol = Symbol("inconsistent");
export type Inconsistent = typeof INCONSISTENT;

/** One client op as a model sees it. */
export interface ModelOp {
  f: string;
  key?: string;
  /** Jepsen's reading: the completion's value for an ok op, the invocation's otherwise. */
  value: unknown;
  /** True for an info op: its result (e.g. what a read or dequeue returned) is unknown. */
  unknownResult: boolean;
}

/** What a read of nothing (nil/null) means. */
export type NilRead = "unknown" | "absent";

export interface ModelOptions {
  /** The initial value; for keyed models a plain object gives one initial value per key. */
  init?: unknown;
  /** "unknown": a read that returned nil tells nothing and is always legal (Jepsen's
   *  convention); "absent": it means the value was nil at that moment. */
  nilRead?: NilRead;
}

export interface Model<S = unknown> {
  readonly name: string;
  /** The state before any op (for keyed models: of a key with no initial value given). */
  readonly init: S;
  /** The state after `op`, or INCONSISTENT if `op` could not have happened in `state`. */
  step(state: S, op: ModelOp): S | Inconsistent;
  /** A primitive identifying the state: equal states, and only they, have equal keys. */
  key(state: S): string | number | bigint | boolean | null;
  /** True if the op never changes the state: an info op of this kind is left out. */
  readOnly(op: ModelOp): boolean;
  /** P-compositionality: ops with different partition keys are checked independently. */
  partitionKey?(op: ModelOp): string;
  /** The initial state of one partition (defaults to `init`). */
  initFor?(partition: string): S;
  /** Short text for a state in explanations. */
  describe(state: S): string;
}

/** The error a model raises for an op it does not understand. */
export function unsupported(model: string, op: ModelOp, supported: string): UserError {
  return new UserError(
    `The ${model} model cannot check op f=${JSON.stringify(op.f)} (it knows ${supported}); choose another --model.`,
  );
}

export function badValue(model: string, op: ModelOp, expected: string): UserError {
  return new UserError(
    `The ${model} model expected the value of ${op.f} to be ${expected}, found ${JSON.stringify(op.value)}; the history does not match this model.`,
  );
}
