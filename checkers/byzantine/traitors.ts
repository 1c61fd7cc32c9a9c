// Which nodes were traitors, and when, as the `byzantine` nemesis records it in the history
// (docs: the issue-9 contract): a window opens at the `invoke` of start-byzantine (the nodes
// named by its `info`) and closes at the `info` of stop-byzantine, or at the end of the
// history if it was never stopped. A checker treats a node as faulty for an instance if it was
// a traitor at any moment between the instance's first invoke and its last completion.
import type { Op } from "../../histories/op.ts";

/** Each traitor's windows, [startNs, endNs], in history order. */
export function traitorWindows(history: Op[]): Map<string, Array<[number, number]>> {
  const windows = new Map<string, Array<[number, number]>>();
  const open = new Map<string, number>();
  let invokedAt: number | undefined;
  const end = history.length > 0 ? history[history.length - 1]!.time : 0;
  for (const op of history) {
    if (op.process !== "nemesis") continue;
    if (op.f === "start-byzantine") {
      if (op.type === "invoke") {
        invokedAt = op.time;
        continue;
      }
      for (const node of nodesOf(op.value))
        if (!open.has(node)) open.set(node, invokedAt ?? op.time);
      invokedAt = undefined;
    } else if (op.f === "stop-byzantine" && op.type !== "invoke") {
      const stopped = Array.isArray(op.value) ? nodesOf(op.value) : [...open.keys()];
      for (const node of stopped) close(node, op.time);
    }
  }
  for (const node of [...open.keys()]) close(node, end);
  return windows;

  function close(node: string, at: number): void {
    const from = open.get(node);
    if (from === undefined) return;
    open.delete(node);
    let list = windows.get(node);
    if (!list) windows.set(node, (list = []));
    list.push([from, at]);
  }
}

/** The nodes that were traitors at any moment of [fromNs, toNs]. */
export function faultyDuring(
  windows: Map<string, Array<[number, number]>>,
  fromNs: number,
  toNs: number,
): Set<string> {
  const faulty = new Set<string>();
  for (const [node, list] of windows)
    if (list.some(([start, end]) => start <= toNs && end >= fromNs)) faulty.add(node);
  return faulty;
}

function nodesOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
