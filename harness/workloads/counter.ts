// Maelstrom's g-counter and pn-counter workloads: add a delta on any node, read the total on
// any node, and at the end read every node. The same messages and checker; a g-counter's
// deltas are never negative, a pn-counter's are of either sign.
import { from, once } from "../generator/gen.ts";
import { readsOfEveryNode } from "./final-reads.ts";
import { codecOf } from "./messages.ts";
import type { Workload, WorkloadContext } from "./types.ts";

export type CounterKind = "g-counter" | "pn-counter";

export function counterWorkload(
  kind: CounterKind,
  ctx: WorkloadContext,
  opts: { finalRounds?: number } = {},
): Workload {
  // Deltas are never 0: an add of nothing cannot be lost, so it would test nothing.
  const deltas = kind === "g-counter" ? [1, 2, 3, 4, 5] : [-5, -4, -3, -2, -1, 1, 2, 3, 4, 5];
  return {
    name: kind,
    description:
      kind === "g-counter"
        ? "add positive deltas and read the counter; final reads equal and within the sum of adds"
        : "add deltas of either sign and read the counter; final reads equal and within the sum of adds",
    generator: () =>
      from((rng) => (rng.int(0, 1) === 0 ? { f: "add", value: rng.pick(deltas) } : { f: "read" })),
    final: () => once(readsOfEveryNode(ctx.nodes, opts.finalRounds)),
    messages: codecOf(kind, {
      add: { request: (op) => ({ type: "add", delta: op.value }) },
      read: {
        request: () => ({ type: "read" }),
        // A read_ok without `value` is recorded as null: not an integer, so the checker
        // reports it.
        ok: (_op, reply) => ({ type: "ok", value: reply.value ?? null }),
      },
    }),
    checkers: [{ checker: "counter", options: { nodes: ctx.nodes } }, { checker: "progress" }],
  };
}
