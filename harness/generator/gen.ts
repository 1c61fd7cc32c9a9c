// Composable client-op generators. A generator is asked, again and again, for the next
// operation a worker should invoke; it answers an op, or `undefined` when it has no more.
// All randomness comes from the Rng in the context, so a seed fixes the sequence of op values.
import type { Rng } from "../../core/rng.ts";
import type { ClientOp } from "../../targets/types.ts";

/** What a worker sends: the function, key, value, and optionally the node to send it to. */
export type OpSpec = ClientOp;

export interface GenContext {
  rng: Rng;
  /** Milliseconds since the run's clock started. */
  elapsedMs: number;
}

export interface Gen {
  next(ctx: GenContext): OpSpec | undefined;
}

/** An endless generator from a function of the random source. */
export function from(make: (rng: Rng) => OpSpec): Gen {
  return { next: (ctx) => make(ctx.rng) };
}

/** A fixed list of ops, each handed out once. */
export function once(ops: readonly OpSpec[]): Gen {
  let i = 0;
  return { next: () => (i < ops.length ? ops[i++] : undefined) };
}

/** Pick one of several generators by weight for every op: `mix([[2, reads], [1, writes]])`. */
export function mix(choices: readonly (readonly [number, Gen])[]): Gen {
  return {
    next(ctx) {
      // A drained choice is dropped, so the mix ends only when all of them have.
      const live = [...choices];
      while (live.length > 0) {
        const gen = ctx.rng.weighted(live.map(([w, g]) => [w, g] as const));
        const op = gen.next(ctx);
        if (op) return op;
        live.splice(
          live.findIndex(([, g]) => g === gen),
          1,
        );
      }
      return undefined;
    },
  };
}

/** At most `n` ops from `gen`. */
export function limit(n: number, gen: Gen): Gen {
  let given = 0;
  return { next: (ctx) => (given++ < n ? gen.next(ctx) : undefined) };
}

/** Ops from `gen` until `ms` have passed since this generator was first asked. */
export function timeLimit(ms: number, gen: Gen): Gen {
  let startedAt: number | undefined;
  return {
    next(ctx) {
      startedAt ??= ctx.elapsedMs;
      return ctx.elapsedMs - startedAt < ms ? gen.next(ctx) : undefined;
    },
  };
}

/** Each generator in turn: the next starts when the previous one is exhausted. */
export function phases(...gens: Gen[]): Gen {
  let i = 0;
  return {
    next(ctx) {
      while (i < gens.length) {
        const op = gens[i]!.next(ctx);
        if (op) return op;
        i++;
      }
      return undefined;
    },
  };
}
