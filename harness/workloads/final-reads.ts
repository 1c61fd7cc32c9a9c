// The final phase of the eventually consistent workloads (broadcast, g-set, counters): reads
// of every node by name, in rounds. A node's last successful one is its final state for the
// checkers (checkers/final-reads.ts); a second round gives a node whose first final read was
// lost (a slow restart) another chance before the check is left unknown.
import type { OpSpec } from "../generator/gen.ts";

export function readsOfEveryNode(nodes: readonly string[], rounds = 2): OpSpec[] {
  const ops: OpSpec[] = [];
  for (let round = 0; round < rounds; round++)
    for (const node of nodes) ops.push({ f: "read", node });
  return ops;
}
