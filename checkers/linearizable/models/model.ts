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
  /** Optional: lets the search rule out a read early, for models where some ops only extend
   *  the state (appends). See Growth. */
  growth?: Growth<S>;
}

/**
 * For a model where some ops only ever extend the state (an append adds to the end of a
 * string): the search then knows that a read whose value is not an extension of the current
 * state can only succeed if an op that replaces the state (a put) may still come first.
 * Without this, the search finds that out only at the read's completion, after trying every
 * order of the appends in between, whose states all differ.
 */
export interface Growth<S> {
  /** True if the op only ever extends the state (an append). */
  extends(op: ModelOp): boolean;
  /** For an op that neither extends the state nor is read-only: the state it leaves whatever
   *  the state before (a put of "x" leaves "x"), or undefined if that depends (a cas). */
  resetsTo(op: ModelOp): { state: S } | undefined;
  /** Could `read` accept `state`, or a state reached from it by extending ops alone? False
   *  must be certain; true may be a guess. */
  canExtendTo(state: S, read: ModelOp): boolean;
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
