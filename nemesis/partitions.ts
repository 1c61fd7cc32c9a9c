// Partition shapes as grudges (for each node, the nodes whose packets it drops). Pure
// functions of the node names and a random source, so a schedule can plan them ahead.
import type { Grudge } from "../core/runtime.ts";
import type { Rng } from "../core/rng.ts";

export const PARTITION_SHAPES = [
  "isolate-leader",
  "halves",
  "ring",
  "bridge",
  "isolate-one",
] as const;
export type PartitionShape = (typeof PARTITION_SHAPES)[number];

/** Cut the cluster into components that cannot reach each other (both directions). */
export function components(groups: readonly (readonly string[])[]): Grudge {
  const grudge: Grudge = {};
  for (const group of groups) {
    const others = groups.filter((g) => g !== group).flat();
    for (const node of group) grudge[node] = [...others];
  }
  return grudge;
}

/** One node cut off from all the others. */
export function isolate(nodes: readonly string[], node: string): Grudge {
  return components([[node], nodes.filter((n) => n !== node)]);
}

/** A random minority and majority. */
export function halves(nodes: readonly string[], rng: Rng): Grudge {
  const order = rng.shuffle(nodes);
  const cut = Math.floor(nodes.length / 2);
  return components([order.slice(0, cut), order.slice(cut)]);
}

/** Nodes on a shuffled ring each see their nearest neighbours, a majority, but no two majorities
 *  are the same: every node believes it can form a quorum, with different peers. */
export function majoritiesRing(nodes: readonly string[], rng: Rng): Grudge {
  const n = nodes.length;
  if (n < 4) return halves(nodes, rng); // with 3 or fewer a ring of majorities is everyone
  const ring = rng.shuffle(nodes);
  const majority = Math.floor(n / 2) + 1;
  const reach = Math.ceil((majority - 1) / 2); // neighbours seen on each side
  const grudge: Grudge = {};
  ring.forEach((node, i) => {
    grudge[node] = ring.filter((_, j) => {
      const d = Math.min(Math.abs(i - j), n - Math.abs(i - j));
      return d > reach;
    });
  });
  return grudge;
}

/** Two halves that cannot see each other, and one bridge node that sees both. */
export function bridge(nodes: readonly string[], rng: Rng): Grudge {
  if (nodes.length < 3) return halves(nodes, rng);
  const [middle, ...rest] = rng.shuffle(nodes);
  const cut = Math.floor(rest.length / 2);
  const grudge = components([rest.slice(0, cut), rest.slice(cut)]);
  grudge[middle!] = [];
  return grudge;
}

/** Nodes a grudge touches (drops something, or is dropped by someone). */
export function affectedNodes(grudge: Grudge): string[] {
  const set = new Set<string>();
  for (const [node, drops] of Object.entries(grudge)) {
    if (drops.length > 0) set.add(node);
    for (const d of drops) set.add(d);
  }
  return [...set].sort();
}
