// Maelstrom's g-set workload: add unique integers to a grow-only set on any node, read it on
// any node, and at the end read every node. Checked for convergence with no lost add.
import { from, once } from "../generator/gen.ts";
import { readsOfEveryNode } from "./final-reads.ts";
import { codecOf } from "./messages.ts";
import type { Workload, WorkloadContext } from "./types.ts";

export function gSetWorkload(ctx: WorkloadContext, opts: { finalRounds?: number } = {}): Workload {
  return {
    name: "g-set",
    description: "add unique integers to a grow-only set and read it; converges, nothing lost",
    // Every element is new, so a read names the add it saw and a lost add cannot hide.
    generator: () => {
      let fresh = 0;
      return from((rng) => (rng.int(0, 1) === 0 ? { f: "add", value: fresh++ } : { f: "read" }));
    },
    final: () => once(readsOfEveryNode(ctx.nodes, opts.finalRounds)),
    messages: codecOf("g-set", {
      add: { request: (op) => ({ type: "add", element: op.value }) },
      read: {
        request: () => ({ type: "read" }),
        // A read_ok without `value` is recorded as null: the checker calls it malformed.
        ok: (_op, reply) => ({ type: "ok", value: reply.value ?? null }),
      },
    }),
    checkers: [
      { checker: "set-convergence", options: { nodes: ctx.nodes } },
      { checker: "progress" },
    ],
  };
}
