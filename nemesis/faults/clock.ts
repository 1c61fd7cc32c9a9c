// Clock skew: offset a node's clock (libfaketime, per container; never the host's). Reaches
// programs that read time through libc, not Go binaries (docs/runtime.md).
import type { Fault } from "../fault.ts";
import { aimAtLeader, onEach, pickNodes, type Who } from "../who.ts";

export interface PlannedClock {
  kind: "clock";
  who: Who;
  nodes: string[];
  offsetSeconds: number;
}

const ORDER: Who[] = ["one", "minority", "leader"];

export const clock: Fault<PlannedClock> = {
  kind: "clock",
  description: "skew the clocks of nodes by up to ±120 s (libfaketime)",
  startF: "start-clock",
  stopF: "stop-clock",
  plan({ nodes, rng, turn }) {
    const who = ORDER[turn % ORDER.length]!;
    const offsetSeconds = rng.pick([-1, 1]) * rng.int(1, 120);
    return { kind: "clock", who, nodes: pickNodes(who, nodes, rng), offsetSeconds };
  },
  resolve: (fault, { leader }) => aimAtLeader(fault, leader),
  nodes: (fault) => fault.nodes,
  apply: (fault, { cluster }) =>
    onEach(fault.nodes, (n) => cluster.setClockOffset(n, fault.offsetSeconds)),
  heal: (fault, { cluster }) => onEach(fault.nodes, (n) => cluster.setClockOffset(n, 0)),
  describe: (fault) =>
    `clock ${fault.offsetSeconds > 0 ? "+" : ""}${fault.offsetSeconds}s ${fault.nodes.join(",")}`,
  detail: (fault) => ({ who: fault.who, offsetSeconds: fault.offsetSeconds }),
};
