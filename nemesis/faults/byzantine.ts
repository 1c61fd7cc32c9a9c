// Byzantine (arbitrary) failures: k traitors (--byzantine, by default what the target says it
// tolerates) each get one behaviour for the fault window, chosen by the seed, applied by the
// traitor's own host to what it sends its peers: flip (wrong values), equivocate (different
// values to different peers), forge (claim another sender), replay (resend old messages),
// silent (send nothing, still answer clients). Every second window, when the target can tell
// who leads (the primary, the commander), the leader is one of the traitors: a lying primary
// is the case the protocols' hardest rules are for. The history's start record names them in
// detail.behaviours, so the checkers know who was nonfaulty (docs/faults.md).
import { BYZANTINE_ACTIONS, type ByzantineAction } from "../../targets/host/interceptors/rule.ts";
import type { Fault } from "../fault.ts";
import { clearRules, setOnEach } from "./message-rules.ts";

export interface PlannedByzantine {
  kind: "byzantine";
  /** Traitor -> its behaviour in this window. */
  behaviours: Record<string, ByzantineAction>;
  /** Seed of the window's choices (whom an equivocation lies to, whom a forge claims). */
  seed: number;
  /** Make the node that leads when the window starts a traitor (in place of the first). */
  leader: boolean;
}

export const BEHAVIOURS: readonly ByzantineAction[] = BYZANTINE_ACTIONS;

export const byzantine: Fault<PlannedByzantine> = {
  kind: "byzantine",
  description:
    "k traitors (--byzantine) flip, equivocate, forge, replay or go silent towards their peers",
  startF: "start-byzantine",
  stopF: "stop-byzantine",
  plan({ nodes, rng, traitors, turn }) {
    const k = Math.min(Math.max(traitors ?? 1, 1), nodes.length);
    const chosen = rng.shuffle(nodes).slice(0, k).sort(byNodeNumber);
    const behaviours: Record<string, ByzantineAction> = {};
    for (const node of chosen) behaviours[node] = rng.pick(BEHAVIOURS);
    return { kind: "byzantine", behaviours, seed: rng.int(0, 2 ** 30), leader: turn % 2 === 1 };
  },
  resolve: async (fault, { leader }) => {
    if (!fault.leader) return fault;
    const now = await leader();
    const traitors = Object.keys(fault.behaviours);
    if (now === undefined || traitors.includes(now)) return fault;
    // The leader takes the first traitor's place and behaviour.
    const behaviours = Object.fromEntries(
      Object.entries(fault.behaviours)
        .map(([n, b]): [string, ByzantineAction] => [n === traitors[0] ? now : n, b])
        .sort(([a], [b]) => byNodeNumber(a, b)),
    );
    return { ...fault, behaviours };
  },
  nodes: (fault) => Object.keys(fault.behaviours),
  apply: (fault, ctx) => {
    const nodes = Object.keys(fault.behaviours);
    return setOnEach(ctx, nodes, (n) => [
      { action: fault.behaviours[n]!, seed: fault.seed + nodes.indexOf(n) },
    ]);
  },
  heal: (fault, ctx) => clearRules(ctx, Object.keys(fault.behaviours)),
  describe: (fault) =>
    `byzantine ${Object.entries(fault.behaviours)
      .map(([n, b]) => `${n} ${b}`)
      .join(", ")}`,
  detail: (fault) => ({ behaviours: fault.behaviours }),
};

function byNodeNumber(a: string, b: string): number {
  return Number(a.replace(/^\D+/, "")) - Number(b.replace(/^\D+/, "")) || a.localeCompare(b);
}
