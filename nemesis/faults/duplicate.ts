// Message duplication: 20-60% of the outgoing node-to-node messages of some nodes arrive
// once or twice more, as a retransmitting network delivers them. Done by the node hosts'
// interceptors: this kernel has no netem.
import type { Fault } from "../fault.ts";
import { pickNodes, type Who } from "../who.ts";
import { clearRules, setOnEach } from "./message-rules.ts";

export interface PlannedDuplicate {
  kind: "duplicate";
  who: Who;
  nodes: string[];
  probability: number;
  copies: number;
  seed: number;
}

const ORDER: Who[] = ["all", "minority", "one"];

export const duplicate: Fault<PlannedDuplicate> = {
  kind: "duplicate",
  description: "deliver 20-60% of the messages of nodes (all, a minority, one) once or twice more",
  startF: "start-duplicate",
  stopF: "stop-duplicate",
  plan({ nodes, rng, turn }) {
    const who = ORDER[turn % ORDER.length]!;
    return {
      kind: "duplicate",
      who,
      nodes: pickNodes(who, nodes, rng),
      probability: rng.int(2, 6) / 10,
      copies: rng.int(1, 2),
      seed: rng.int(0, 2 ** 30),
    };
  },
  nodes: (fault) => fault.nodes,
  apply: (fault, ctx) =>
    setOnEach(ctx, fault.nodes, (n) => [
      {
        action: "duplicate",
        probability: fault.probability,
        copies: fault.copies,
        seed: fault.seed + fault.nodes.indexOf(n),
      },
    ]),
  heal: (fault, ctx) => clearRules(ctx, fault.nodes),
  describe: (fault) =>
    `duplicate ${Math.round(fault.probability * 100)}% x${fault.copies} ${fault.nodes.join(",")}`,
  detail: (fault) => ({ who: fault.who, probability: fault.probability, copies: fault.copies }),
};
