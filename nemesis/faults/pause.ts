// Timing faults: freeze every process of a node (cgroup freezer) and thaw it later. A paused
// node keeps its connections and wakes up believing no time passed.
import type { Fault } from "../fault.ts";
import { aimAtLeader, onEach, pickNodes, type Who } from "../who.ts";

export interface PlannedPause {
  kind: "pause";
  who: Who;
  nodes: string[];
}

const ORDER: Who[] = ["leader", "one", "minority"];

export const pause: Fault<PlannedPause> = {
  kind: "pause",
  description: "freeze nodes (the leader, one, a minority) and resume them",
  startF: "pause",
  stopF: "resume",
  plan({ nodes, rng, turn }) {
    const who = ORDER[turn % ORDER.length]!;
    return { kind: "pause", who, nodes: pickNodes(who, nodes, rng) };
  },
  resolve: (fault, { leader }) => aimAtLeader(fault, leader),
  nodes: (fault) => fault.nodes,
  apply: (fault, { cluster }) => onEach(fault.nodes, (n) => cluster.pause(n)),
  heal: (fault, { cluster }) => onEach(fault.nodes, (n) => cluster.resume(n)),
  describe: (fault) => `pause ${fault.nodes.join(",")}`,
  detail: (fault) => ({ who: fault.who }),
};
