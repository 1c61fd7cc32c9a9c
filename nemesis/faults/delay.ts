// Message delay: the outgoing node-to-node messages of some nodes (all of them, a minority,
// one) leave 10-150 ms late, with jitter of half that, so later messages overtake earlier
// ones. Done by the node hosts' interceptors: this kernel has no netem.
import type { Fault } from "../fault.ts";
import { pickNodes, type Who } from "../who.ts";
import { clearRules, setOnEach } from "./message-rules.ts";

export interface PlannedDelay {
  kind: "delay";
  who: Who;
  nodes: string[];
  ms: number;
  seed: number;
}

const ORDER: Who[] = ["all", "minority", "one"];

export const delay: Fault<PlannedDelay> = {
  kind: "delay",
  description:
    "delay the messages of nodes (all, a minority, one) to their peers by 10-150 ms ± half",
  startF: "start-delay",
  stopF: "stop-delay",
  plan({ nodes, rng, turn }) {
    const who = ORDER[turn % ORDER.length]!;
    return {
      kind: "delay",
      who,
      nodes: pickNodes(who, nodes, rng),
      ms: rng.int(10, 150),
      seed: rng.int(0, 2 ** 30),
    };
  },
  nodes: (fault) => fault.nodes,
  apply: (fault, ctx) =>
    setOnEach(ctx, fault.nodes, (n) => [
      {
        action: "delay",
        ms: fault.ms,
        jitter_ms: Math.round(fault.ms / 2),
        seed: fault.seed + fault.nodes.indexOf(n),
      },
    ]),
  heal: (fault, ctx) => clearRules(ctx, fault.nodes),
  describe: (fault) => `delay ${fault.ms}ms ${fault.nodes.join(",")}`,
  detail: (fault) => ({ who: fault.who, ms: fault.ms, jitter_ms: Math.round(fault.ms / 2) }),
};
