// Byzantine (arbitrary) failures: k traitors (--byzantine, by default what the target says it
// tolerates), chosen once per run by the seed, each with one behaviour per fault window (also
// from the seed), applied by the traitor's own host to what it sends its peers: flip (wrong
// values), equivocate (different values to different peers), forge (claim another sender),
// replay (resend old messages), silent (send nothing, still answer clients). Between windows
// the traitors behave. The traitors stay the same for the run so that the other nodes stay
// nonfaulty for the whole of it (a checker comparing what every nonfaulty replica executed
// over the run needs some); placements vary with the seed, and relative to a rotating
// primary within a run. The history's start record names them in detail.behaviours, so the
// checkers know who was nonfaulty (docs/faults.md).
import { Rng } from "../../core/rng.ts";
import { BYZANTINE_ACTIONS, type ByzantineAction } from "../../targets/host/interceptors/rule.ts";
import type { Fault } from "../fault.ts";
import { clearRules, setOnEach } from "./message-rules.ts";

export interface PlannedByzantine {
  kind: "byzantine";
  /** Traitor -> its behaviour in this window. */
  behaviours: Record<string, ByzantineAction>;
  /** Seed of the window's choices (whom an equivocation lies to, whom a forge claims). */
  seed: number;
}

export const BEHAVIOURS: readonly ByzantineAction[] = BYZANTINE_ACTIONS;
const OTHER_BEHAVIOURS = BEHAVIOURS.filter((b) => b !== "equivocate");

/** The run's traitors: k nodes picked by the seed (a stream of their own, so that adding
 *  draws to the schedule never moves them). */
export function pickTraitors(seed: number, nodes: readonly string[], k: number): string[] {
  const count = Math.min(Math.max(k, 1), nodes.length);
  return Rng.forStream(seed, "traitors").shuffle(nodes).slice(0, count).sort(byNodeNumber);
}

export const byzantine: Fault<PlannedByzantine> = {
  kind: "byzantine",
  description:
    "k traitors (--byzantine, fixed for the run) flip, equivocate, forge, replay or go silent towards their peers",
  startF: "start-byzantine",
  stopF: "stop-byzantine",
  plan({ nodes, rng, traitorNodes, turn }) {
    const traitors = traitorNodes ?? [rng.pick(nodes)];
    const behaviours: Record<string, ByzantineAction> = {};
    // Every other window the traitors equivocate: the lie the n >= 3k+1 bound is about (a
    // commander telling peers different values), and the only one that exposes a protocol
    // which skips relaying or breaks ties wrongly. Drawn one time in five, a 30 s run with two
    // or three windows often met none. The windows between draw any other behaviour.
    for (const node of traitors)
      behaviours[node] = turn % 2 === 0 ? "equivocate" : rng.pick(OTHER_BEHAVIOURS);
    return { kind: "byzantine", behaviours, seed: rng.int(0, 2 ** 30) };
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
