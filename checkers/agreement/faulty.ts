// Which nodes are faulty during an instance. A traitor (the `byzantine` nemesis) is faulty by
// the issue-9 contract (checkers/byzantine/traitors.ts). A node hit by any other fault while
// the instance ran (killed, paused, cut off by a partition, losing packets, its clock skewed,
// its messages delayed) is faulty too: oral messages assume synchronous rounds, and a node
// that missed or sent messages late has failed by crash, omission or timing, which the
// source material's failure models count as faulty. Both are reported apart.
import type { Op } from "../../histories/op.ts";
import { faultWindows } from "../atomic-commit/faults.ts";
import { faultyDuring, traitorWindows } from "../byzantine/traitors.ts";

const NS_PER_MS = 1_000_000;

export interface FaultMap {
  traitors: Map<string, Array<[number, number]>>;
  /** Windows of every other fault, per node it hit. */
  others: Map<string, Array<[number, number]>>;
  /** How many windows of other faults the history holds. */
  otherWindows: number;
}

export function faultMap(history: Op[], endNs: number): FaultMap {
  const others = new Map<string, Array<[number, number]>>();
  const windows = faultWindows(history).filter((w) => w.kind !== "start-byzantine");
  for (const w of windows) {
    const span: [number, number] = [
      w.invokedMs * NS_PER_MS,
      w.healedMs === null ? endNs : w.healedMs * NS_PER_MS,
    ];
    for (const node of new Set([...w.nodes, ...w.frozen])) {
      const list = others.get(node) ?? [];
      list.push(span);
      others.set(node, list);
    }
  }
  return { traitors: traitorWindows(history), others, otherWindows: windows.length };
}

export interface FaultyNodes {
  traitors: Set<string>;
  /** Not traitors, but hit by another fault. */
  others: Set<string>;
  all: Set<string>;
}

export function faultyIn(map: FaultMap, fromNs: number, toNs: number): FaultyNodes {
  const traitors = faultyDuring(map.traitors, fromNs, toNs);
  const others = faultyDuring(map.others, fromNs, toNs);
  for (const t of traitors) others.delete(t);
  return { traitors, others, all: new Set([...traitors, ...others]) };
}
