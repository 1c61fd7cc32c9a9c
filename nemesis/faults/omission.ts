// Omission failures of the source material: a node that fails to send (send omission) or to
// receive (receive omission) every message to or from its peers, while it goes on running and
// answering clients. Both are iptables rules in the node's namespace; the two kinds share
// this file because they differ only in the direction cut.
import type { Cluster } from "../../core/runtime.ts";
import type { Fault } from "../fault.ts";
import { aimAtLeader, onEach, pickNodes, type Who } from "../who.ts";

export interface PlannedOmission<K extends "send-omission" | "receive-omission"> {
  kind: K;
  who: Who;
  nodes: string[];
}

const ORDER: Who[] = ["leader", "one", "minority"];

function omission<K extends "send-omission" | "receive-omission">(
  kind: K,
  what: { verb: string; cut(cluster: Cluster, node: string): Promise<void> },
): Fault<PlannedOmission<K>> {
  return {
    kind,
    description: `nodes (the leader, one, a minority) ${what.verb}, and run on`,
    startF: `start-${kind}`,
    stopF: `stop-${kind}`,
    plan({ nodes, rng, turn }) {
      const who = ORDER[turn % ORDER.length]!;
      return { kind, who, nodes: pickNodes(who, nodes, rng) };
    },
    resolve: (fault, { leader }) => aimAtLeader(fault, leader),
    nodes: (fault) => fault.nodes,
    apply: (fault, { cluster }) => onEach(fault.nodes, (n) => what.cut(cluster, n)),
    heal: (_fault, { cluster }) => cluster.healNetwork(),
    describe: (fault) => `${kind} ${fault.nodes.join(",")}`,
    detail: (fault) => ({ who: fault.who }),
  };
}

export const sendOmission = omission("send-omission", {
  verb: "fail to send every message to their peers",
  cut: (cluster, node) => cluster.dropOutgoing(node),
});

export const receiveOmission = omission("receive-omission", {
  verb: "fail to receive every message from their peers",
  cut: (cluster, node) => cluster.dropIncoming(node),
});
