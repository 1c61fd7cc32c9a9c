// Topologies for the broadcast workload's `topology` message: for each node, the neighbours it
// should gossip with (a node may ignore them). Every shape is connected and symmetric (if a
// lists b, b lists a), built from the cluster's node names in their order:
// - grid (the default, as in Maelstrom): nodes row by row in a ceil(sqrt(n))-wide grid, each
//   linked to the nodes left, right, above and below it: at most 4 neighbours, about
//   2*sqrt(n) hops across, so a message needs relaying but no node carries everything;
// - ring: each node linked to the one before and after it: n/2 hops across, the slow case;
// - tree: a binary tree (node i's children are 2i+1 and 2i+2): one cut isolates a subtree;
// - total: every node linked to every other: no relaying needed.
import { UserError } from "../../core/errors.ts";

export const TOPOLOGIES = ["grid", "ring", "tree", "total"] as const;
export type TopologyShape = (typeof TOPOLOGIES)[number];
export type Topology = Record<string, string[]>;

export function topology(nodes: readonly string[], shape: TopologyShape = "grid"): Topology {
  const n = nodes.length;
  const links = nodes.map(() => new Set<number>());
  const link = (a: number, b: number) => {
    if (a === b || a < 0 || b < 0 || a >= n || b >= n) return;
    links[a]!.add(b);
    links[b]!.add(a);
  };
  switch (shape) {
    case "grid": {
      const width = Math.ceil(Math.sqrt(n));
      for (let i = 0; i < n; i++) {
        if ((i + 1) % width !== 0) link(i, i + 1);
        link(i, i + width);
      }
      break;
    }
    case "ring":
      for (let i = 0; i < n; i++) link(i, (i + 1) % n);
      break;
    case "tree":
      for (let i = 1; i < n; i++) link(i, Math.floor((i - 1) / 2));
      break;
    case "total":
      for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) link(a, b);
      break;
    default:
      throw new UserError(
        `Unknown topology "${String(shape)}"; known topologies: ${TOPOLOGIES.join(", ")}.`,
      );
  }
  return Object.fromEntries(
    nodes.map((node, i) => [node, [...links[i]!].sort((a, b) => a - b).map((j) => nodes[j]!)]),
  );
}
