// Maelstrom's broadcast workload: first a `topology` message to every node, then broadcasts of
// unique integers mixed with reads of a node's messages, and at the end reads of every node.
// Checked for reliable broadcast (validity, agreement, integrity) and stable latency.
import { from, once } from "../generator/gen.ts";
import { readsOfEveryNode } from "./final-reads.ts";
import { codecOf } from "./messages.ts";
import { topology, type TopologyShape } from "./topology.ts";
import type { Workload, WorkloadContext } from "./types.ts";

export interface BroadcastOptions {
  /** The neighbours each node is told of (topology.ts); default grid. */
  topology?: TopologyShape;
  /** Rounds of final reads of every node; default 2. */
  finalRounds?: number;
}

export function broadcastWorkload(ctx: WorkloadContext, opts: BroadcastOptions = {}): Workload {
  const topo = topology(ctx.nodes, opts.topology ?? "grid");
  return {
    name: "broadcast",
    description: `broadcast unique integers over a ${opts.topology ?? "grid"} topology and read them; reliable broadcast`,
    setup: () => once(ctx.nodes.map((node) => ({ f: "topology", node, value: topo }))),
    // Half broadcasts, half reads: reads are what show a message's spread (stable latency)
    // and its loss. Each message is an integer never broadcast before, so a read names its
    // broadcast and a duplicate or invented message cannot hide.
    generator: () => {
      let fresh = 0;
      return from((rng) =>
        rng.int(0, 1) === 0 ? { f: "broadcast", value: fresh++ } : { f: "read" },
      );
    },
    final: () => once(readsOfEveryNode(ctx.nodes, opts.finalRounds)),
    messages: codecOf("broadcast", {
      topology: { request: (op) => ({ type: "topology", topology: op.value }) },
      broadcast: { request: (op) => ({ type: "broadcast", message: op.value }) },
      read: {
        request: () => ({ type: "read" }),
        // A read_ok without `messages` is recorded as null: the checker calls it malformed.
        ok: (_op, reply) => ({ type: "ok", value: reply.messages ?? null }),
      },
    }),
    checkers: [{ checker: "broadcast", options: { nodes: ctx.nodes } }, { checker: "progress" }],
  };
}
