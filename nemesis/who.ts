// Which nodes a node fault hits, chosen from the seed.
import type { Rng } from "../core/rng.ts";

/** "leader" is the node that leads; "leader-majority" the leader and enough others to make a
 *  majority (the survivors are followers with the newest term). Both fall back to the
 *  planned nodes when the target cannot tell who leads. */
export type Who = "one" | "leader" | "minority" | "majority" | "leader-majority" | "all";

export function pickNodes(who: Who, nodes: readonly string[], rng: Rng): string[] {
  const shuffled = rng.shuffle(nodes);
  const n = nodes.length;
  const count = {
    one: 1,
    leader: 1,
    minority: Math.max(1, Math.floor((n - 1) / 2)),
    majority: Math.floor(n / 2) + 1,
    "leader-majority": Math.floor(n / 2) + 1,
    all: n,
  }[who];
  return shuffled.slice(0, count).sort();
}

/** A fault aimed at `who`, re-aimed at the node that leads now when `who` is "leader". */
export async function aimAtLeader<P extends { who: Who; nodes: string[] }>(
  fault: P,
  leader: () => Promise<string | undefined>,
): Promise<P> {
  if (fault.who !== "leader") return fault;
  const now = await leader();
  return now ? { ...fault, nodes: [now] } : fault;
}

/** Run `fn` on every node at once. */
export async function onEach(nodes: string[], fn: (node: string) => Promise<void>): Promise<void> {
  await Promise.all(nodes.map(fn));
}
