// Pairing each client invocation with its completion. A process has at most one op in flight;
// an invocation with no completion by the end of the history counts as `info` (it may or may
// not have taken effect). After an `info` completion the process is retired: a later op under
// the same id is simply a new operation.
import { UserError } from "../core/errors.ts";
import type { Op } from "./op.ts";
import { whereIs } from "./source.ts";

export interface PairedOp {
  process: number;
  f: string;
  key?: string;
  /** How the op ended: took effect, certainly did not, or unknown (info or no completion). */
  type: "ok" | "fail" | "info";
  invoke: Op;
  completion?: Op;
  /** The op's value as checkers read it: the completion's for an ok op (what a read returned),
   *  otherwise the invocation's (what was asked for). */
  value: unknown;
  /** Positions in the history array of the invocation and completion (Infinity if none). */
  invokePos: number;
  completePos: number;
}

/** Pairs invocations with completions, in order of invocation. Nemesis ops are left out. */
export function pairHistory(history: Op[], source = "history"): PairedOp[] {
  const paired: PairedOp[] = [];
  const inFlight = new Map<number, PairedOp>();
  for (let pos = 0; pos < history.length; pos++) {
    const op = history[pos];
    if (op.process === "nemesis" || typeof op.process !== "number") continue;
    if (op.type === "invoke") {
      const earlier = inFlight.get(op.process);
      if (earlier) {
        const where = whereIs(history, pos);
        const earlierWhere = whereIs(history, earlier.invokePos);
        const what =
          where && earlierWhere
            ? `${where}: process ${op.process} invokes again while its invocation at ${earlierWhere} is still in flight`
            : `${source}: process ${op.process} invokes op index ${op.index} while its op index ${earlier.invoke.index} is still in flight`;
        throw new UserError(
          `${what}; a process must complete (or be retired by an info) before invoking again.`,
        );
      }
      const p: PairedOp = {
        process: op.process,
        f: op.f,
        type: "info",
        invoke: op,
        value: op.value,
        invokePos: pos,
        completePos: Infinity,
      };
      if (op.key !== undefined) p.key = op.key;
      inFlight.set(op.process, p);
      paired.push(p);
      continue;
    }
    const p = inFlight.get(op.process);
    if (!p) {
      const where = whereIs(history, pos);
      const subject = where ? `${where}: this line` : `${source}: op index ${op.index}`;
      throw new UserError(
        `${subject} completes (${op.type}) a ${op.f} for process ${op.process}, which has no invocation in flight; the history is missing lines or is out of order.`,
      );
    }
    inFlight.delete(op.process);
    p.type = op.type;
    p.completion = op;
    p.completePos = pos;
    if (op.type === "ok" && op.value !== undefined) p.value = op.value;
    if (p.key === undefined && op.key !== undefined) p.key = op.key;
  }
  return paired;
}
