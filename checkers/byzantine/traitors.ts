// Who was a traitor, and when: the `byzantine` nemesis's windows read back from a history
// (the issue-9 contract, docs/checkers.md "Byzantine faults in a history"). A node is faulty
// for an operation or instance if it was a traitor at any moment between the instance's first
// invoke and its last completion.
//
// The nemesis records a window as `start-byzantine` (an invoke, then an info with the
// behaviours) and `stop-byzantine` (an invoke, then an info once healed), `value` naming the
// traitors. A window is counted from the first record that starts it (the invoke: the fault
// may take effect from then on) to the info that ends its heal; a window never stopped lasts
// to the end of the history.
import type { Op } from "../../histories/op.ts";

const START = "start-byzantine";
const STOP = "stop-byzantine";

function nodesOf(op: Op): string[] {
  return Array.isArray(op.value) ? op.value.filter((n): n is string => typeof n === "string") : [];
}

/** Each traitor's windows, [startNs, endNs], in order. */
export function traitorWindows(history: Op[]): Map<string, Array<[number, number]>> {
  const windows = new Map<string, Array<[number, number]>>();
  /** Open windows: node -> start time. */
  const open = new Map<string, number>();
  let endNs = 0;
  const close = (node: string, at: number) => {
    const from = open.get(node);
    if (from === undefined) return;
    open.delete(node);
    const list = windows.get(node) ?? [];
    list.push([from, Math.max(from, at)]);
    windows.set(node, list);
  };
  for (const op of history) {
    endNs = Math.max(endNs, op.time);
    if (op.process !== "nemesis") continue;
    if (op.f === START) {
      for (const node of nodesOf(op)) if (!open.has(node)) open.set(node, op.time);
    } else if (op.f === STOP && op.type !== "invoke") {
      // A stop that names no node ends every open window (it healed them all).
      const nodes = nodesOf(op);
      for (const node of nodes.length > 0 ? nodes : [...open.keys()]) close(node, op.time);
    }
  }
  for (const node of [...open.keys()]) close(node, endNs);
  return windows;
}

/** The nodes that were traitors at any moment of [fromNs, toNs]. */
export function faultyDuring(
  windows: Map<string, Array<[number, number]>>,
  fromNs: number,
  toNs: number,
): Set<string> {
  const faulty = new Set<string>();
  for (const [node, spans] of windows)
    if (spans.some(([start, end]) => start <= toNs && end >= fromNs)) faulty.add(node);
  return faulty;
}
