// Packet loss: drop each packet between a node and its peers with a probability (the iptables
// `statistic` match; this kernel has no netem).
import type { Fault } from "../fault.ts";
import { aimAtLeader, onEach, pickNodes, type Who } from "../who.ts";

export interface PlannedLoss {
  kind: "loss";
  who: Who;
  nodes: string[];
  probability: number;
}

const ORDER: Who[] = ["minority", "one", "leader"];

export const loss: Fault<PlannedLoss> = {
  kind: "loss",
  description: "drop 20-60% of the packets between nodes and their peers",
  startF: "start-loss",
  stopF: "stop-loss",
  plan({ nodes, rng, turn }) {
    const who = ORDER[turn % ORDER.length]!;
    return {
      kind: "loss",
      who,
      nodes: pickNodes(who, nodes, rng),
      probability: rng.int(2, 6) / 10,
    };
  },
  resolve: (fault, { leader }) => aimAtLeader(fault, leader),
  nodes: (fault) => fault.nodes,
  apply: (fault, { cluster }) => onEach(fault.nodes, (n) => cluster.loss(n, fault.probability)),
  heal: (_fault, { cluster }) => cluster.healNetwork(),
  describe: (fault) => `loss ${Math.round(fault.probability * 100)}% ${fault.nodes.join(",")}`,
  detail: (fault) => ({ who: fault.who, probability: fault.probability }),
};
