// What every workload's codec shares: error bodies follow Maelstrom's table (a definite code
// is `fail`, anything else `info`), and a helper to build a codec from per-function pieces.
import { UserError } from "../../core/errors.ts";
import { errorKind } from "../../targets/host/errors.ts";
import type { Body, ClientOp, Completion, MessageCodec } from "../../targets/types.ts";

/** The completion of an `error` body: fail if its code is definite, else info. */
export function errorCompletion(reply: Body): Completion {
  const kind = errorKind(Number(reply.code));
  const error = { code: kind.code, name: kind.name, text: reply.text };
  return { type: kind.definite ? "fail" : "info", error };
}

/** The code of an error body or of a recorded completion's error, if it has one. */
export function errorCode(error: unknown): number | undefined {
  if (typeof error === "number") return error;
  if (error && typeof error === "object" && "code" in error)
    return Number((error as { code: unknown }).code);
  return undefined;
}

export interface FunctionMessages {
  /** The request body for an op of this function. */
  request(op: ClientOp): Body;
  /** The completion of an ok reply; default: ok with the invoked value. */
  ok?(op: ClientOp, reply: Body): Completion;
  /** The completion of an error reply; default: Maelstrom's table (errorCompletion). */
  error?(op: ClientOp, reply: Body): Completion;
}

/** A codec from one entry per client function (`read`, `write`, ...). A reply whose type is
 *  neither `error` nor the function's `<request type>_ok` is `info`: something answered, but
 *  not what the protocol says, so whether the op took effect is unknown. */
export function codecOf(
  workload: string,
  functions: Record<string, FunctionMessages>,
): MessageCodec {
  const entry = (op: ClientOp): FunctionMessages => {
    const m = functions[op.f];
    if (!m)
      throw new UserError(
        `The ${workload} workload has no operation "${op.f}"; it has ${Object.keys(functions).join(", ")}.`,
      );
    return m;
  };
  return {
    request: (op) => entry(op).request(op),
    complete(op, reply) {
      const m = entry(op);
      if (reply.type === "error") return m.error ? m.error(op, reply) : errorCompletion(reply);
      const expected = `${m.request(op).type}_ok`;
      if (reply.type !== expected)
        return { type: "info", error: `unexpected reply ${reply.type} (expected ${expected})` };
      return m.ok ? m.ok(op, reply) : { type: "ok" };
    },
  };
}
