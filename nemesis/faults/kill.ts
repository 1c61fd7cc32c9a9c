// Crash faults: SIGKILL a node's container and start it again later with its disk intact.
// The staggered kill (the leader and a majority killed while the survivors are frozen, the
// killed nodes restarted first) leaves restarted nodes beside followers that hold the newest
// term: where lost term/vote state shows.
import { sleep } from "../../core/clock.ts";
import type { Fault } from "../fault.ts";
import { onEach, pickNodes, type Who } from "../who.ts";

export interface PlannedKill {
  kind: "kill";
  who: Who;
  nodes: string[];
  /** Nodes frozen while the killed ones are down, and resumed this long after they restart,
   *  so the restarted nodes come back first (a staggered recovery). */
  freeze?: { nodes: string[]; resumeAfterMs: number };
}

// The staggered kill comes first, once the term has moved past the first elections (after a
// partition, say). "all" tests the disk itself.
const ORDER: Who[] = ["leader-majority", "leader", "all", "minority", "one", "majority"];
/** How long after the killed nodes restart the frozen survivors of a staggered kill resume
 *  (at most one nemesis interval). */
const STAGGER_MS = 5000;

export const kill: Fault<PlannedKill> = {
  kind: "kill",
  description:
    "kill nodes (one, a minority, the leader, all, a staggered leader-majority) and restart them with their disks",
  startF: "kill",
  stopF: "start",

  plan({ nodes, rng, turn, intervalMs }) {
    const who = ORDER[turn % ORDER.length]!;
    const picked = pickNodes(who, nodes, rng);
    if (who !== "leader-majority") return { kind: "kill", who, nodes: picked };
    const rest = nodes.filter((n) => !picked.includes(n));
    return {
      kind: "kill",
      who,
      nodes: picked,
      freeze: { nodes: rest, resumeAfterMs: Math.min(STAGGER_MS, intervalMs) },
    };
  },

  async resolve(fault, { cluster, leader }) {
    if (fault.who !== "leader" && fault.who !== "leader-majority") return fault;
    const now = await leader();
    if (!now) return fault;
    if (fault.who === "leader") return { ...fault, nodes: [now] };
    // The planned majority, with the leader in place of one of the others if it is missing.
    const nodes = (fault.nodes.includes(now) ? fault.nodes : [now, ...fault.nodes.slice(1)]).sort();
    if (!fault.freeze) return { ...fault, nodes };
    const rest = cluster.nodes.map((n) => n.name).filter((n) => !nodes.includes(n));
    return { ...fault, nodes, freeze: { ...fault.freeze, nodes: rest } };
  },

  nodes: (fault) => fault.nodes,

  async apply(fault, { cluster }) {
    if (fault.freeze) await onEach(fault.freeze.nodes, (n) => cluster.pause(n));
    await onEach(fault.nodes, (n) => cluster.kill(n));
  },

  async heal(fault, { cluster, healingAll }) {
    if (!fault.freeze) return onEach(fault.nodes, (n) => cluster.start(n));
    try {
      await onEach(fault.nodes, (n) => cluster.start(n));
      // Healing everything at the end (or on interruption): no time for the stagger.
      if (!healingAll) await sleep(fault.freeze.resumeAfterMs);
    } finally {
      // Never leave the survivors frozen, whatever happened to the restart.
      await onEach(fault.freeze.nodes, (n) => cluster.resume(n));
    }
  },

  describe: (fault) =>
    `kill ${fault.nodes.join(",")}${fault.freeze ? ` (frozen ${fault.freeze.nodes.join(",")})` : ""}`,
  detail: (fault) =>
    fault.freeze ? { who: fault.who, frozen: fault.freeze.nodes } : { who: fault.who },
  settleMs: (fault) => fault.freeze?.resumeAfterMs ?? 0,
};
