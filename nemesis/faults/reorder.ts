// Message reordering: the outgoing node-to-node messages of some nodes are held, per peer,
// until 2-4 wait (or 20-80 ms pass), and released newest first. Done by the node hosts'
// interceptors: this kernel has no netem.
import type { Fault } from "../fault.ts";
import { pickNodes, type Who } from "../who.ts";
import { clearRules, setOnEach } from "./message-rules.ts";

export interface PlannedReorder {
  kind: "reorder";
  who: Who;
  nodes: string[];
  hold: number;
  ms: number;
  seed: number;
}

const ORDER: Who[] = ["all", "minority", "one"];

export const reorder: Fault<PlannedReorder> = {
  kind: "reorder",
  description: "deliver the messages of nodes (all, a minority, one) out of order, newest first",
  startF: "start-reorder",
  stopF: "stop-reorder",
  plan({ nodes, rng, turn }) {
    const who = ORDER[turn % ORDER.length]!;
    return {
      kind: "reorder",
      who,
      nodes: pickNodes(who, nodes, rng),
      hold: rng.int(2, 4),
      ms: rng.int(20, 80),
      seed: rng.int(0, 2 ** 30),
    };
  },
  nodes: (fault) => fault.nodes,
  apply: (fault, ctx) =>
    setOnEach(ctx, fault.nodes, (n) => [
      {
        action: "reorder",
        hold: fault.hold,
        ms: fault.ms,
        seed: fault.seed + fault.nodes.indexOf(n),
      },
    ]),
  heal: (fault, ctx) => clearRules(ctx, fault.nodes),
  describe: (fault) => `reorder ${fault.hold} per ${fault.ms}ms ${fault.nodes.join(",")}`,
  detail: (fault) => ({ who: fault.who, hold: fault.hold, ms: fault.ms }),
};
