// Eventual convergence of a grow-only set (Maelstrom's g-set: `add` an element, `read` the
// whole set), judged on the final reads of every node (checkers/final-reads.ts):
// - no lost add: every acknowledged (ok) add is in every node's final read;
// - convergence: an element in any node's final read is in every node's final read;
// - nothing invented: no read holds an element never added, or one whose add failed.
// Info adds may or may not show; they are counted, not judged (unless one node shows it and
// another does not: that is divergence).
import type { Op } from "../../histories/op.ts";
import { pairHistory } from "../../histories/pair.ts";
import type { Checker, CheckerOptions } from "../checker.ts";
import type { CheckResult } from "../types.ts";
import { collectAdded, firstFew, maxReported, readKeys, show } from "../elements.ts";
import { byNodeName, describeFinalReads, finalReads, readerOf } from "../final-reads.ts";

export interface SetConvergenceResult extends CheckResult {
  finalReads: "marked" | "inferred";
  nodes: string[];
  nodesWithoutFinalRead: string[];
  adds: { ok: number; info: number; fail: number };
  /** Acknowledged elements missing from some node's final read. */
  lost: number;
  lostElements: { element: unknown; add: number; missingOn: string[] }[];
  /** Elements in some final reads and not in others. */
  diverged: number;
  divergedElements: { element: unknown; presentOn: string[]; missingOn: string[] }[];
  /** Elements read that no add put there (never added, or only by failed adds). */
  unexpected: number;
  unexpectedElements: {
    element: unknown;
    read: number;
    node: string;
    why: "never added" | "add failed";
  }[];
  /** ok reads whose value is not a list. */
  malformed: number;
  malformedReads: number[];
  /** Elements of info adds: they may or may not show. `present`: in some final read. */
  maybe: { count: number; present: number; absent: number; elements: unknown[] };
}

export function checkSetConvergence(
  history: Op[],
  options: CheckerOptions = {},
): SetConvergenceResult {
  const report = maxReported(options);
  const paired = pairHistory(history);
  const added = collectAdded(paired, "add");
  const final = finalReads(history, paired, "read", options.nodes);

  const unexpected: SetConvergenceResult["unexpectedElements"] = [];
  const malformed: number[] = [];
  const reported = new Set<string>(); // each unexpected element once
  for (const p of paired) {
    if (p.f !== "read" || p.type !== "ok") continue;
    const keys = readKeys(p);
    if (!keys) {
      malformed.push(p.completion!.index);
      continue;
    }
    keys.forEach((k, i) => {
      const a = added.get(k);
      if (a && a.status !== "fail") return;
      if (reported.has(k)) return;
      reported.add(k);
      unexpected.push({
        element: (p.value as unknown[])[i],
        read: p.completion!.index,
        node: readerOf(p),
        why: a ? "add failed" : "never added",
      });
    });
  }

  const lastKeys = new Map([...final.last].map(([r, p]) => [r, new Set(readKeys(p))]));
  const judged = [...lastKeys.keys()].sort(byNodeName);
  const lacking = (key: string) => judged.filter((r) => !lastKeys.get(r)!.has(key));

  const lost: SetConvergenceResult["lostElements"] = [];
  for (const a of added.values()) {
    if (a.status !== "ok") continue;
    const missingOn = lacking(a.key);
    if (missingOn.length > 0) lost.push({ element: a.value, add: a.op.invoke.index, missingOn });
  }

  // Present: in any final read of the node (any round); each must be in every last read.
  const presentOn = new Map<string, { element: unknown; on: Set<string> }>();
  for (const p of final.all) {
    const values = Array.isArray(p.value) ? p.value : [];
    (readKeys(p) ?? []).forEach((k, i) => {
      if (!presentOn.has(k)) presentOn.set(k, { element: values[i], on: new Set() });
      presentOn.get(k)!.on.add(readerOf(p));
    });
  }
  const diverged: SetConvergenceResult["divergedElements"] = [];
  for (const [k, { element, on }] of presentOn) {
    const missingOn = lacking(k);
    if (missingOn.length > 0)
      diverged.push({ element, presentOn: [...on].sort(byNodeName), missingOn });
  }

  const infos = [...added.values()].filter((a) => a.status === "info");
  const present = infos.filter((a) => presentOn.has(a.key));
  const count = (s: string) => [...added.values()].filter((a) => a.status === s).length;

  const result: SetConvergenceResult = {
    valid: true,
    finalReads: final.how,
    nodes: final.readers,
    nodesWithoutFinalRead: final.missing,
    adds: { ok: count("ok"), info: infos.length, fail: count("fail") },
    lost: lost.length,
    lostElements: firstFew(lost, report),
    diverged: diverged.length,
    divergedElements: firstFew(diverged, report),
    unexpected: unexpected.length,
    unexpectedElements: firstFew(unexpected, report),
    malformed: malformed.length,
    malformedReads: firstFew(malformed, report),
    maybe: {
      count: infos.length,
      present: present.length,
      absent: infos.length - present.length,
      elements: firstFew(
        infos.map((a) => a.value),
        report,
      ),
    },
  };
  const broken = [
    lost.length > 0 && `${lost.length} acknowledged elements lost`,
    diverged.length > 0 && `${diverged.length} elements on some nodes only`,
    unexpected.length > 0 && `${unexpected.length} elements read that were never added`,
    malformed.length > 0 && `${malformed.length} malformed reads`,
  ].filter(Boolean);
  if (broken.length > 0) {
    result.valid = false;
    result.reason = broken.join("; ");
  } else if (final.all.length === 0) {
    result.valid = "unknown";
    result.reason = "no final read succeeded: nothing is known of the set the nodes converged to";
  } else if (final.missing.length > 0) {
    result.valid = "unknown";
    result.reason = `no final read succeeded on ${final.missing.join(", ")}: convergence is unknown there`;
  } else {
    result.reason = `all ${judged.length} nodes hold the ${result.adds.ok} acknowledged elements and agree`;
  }
  return result;
}

function explainSetConvergence(result: CheckResult): string[] {
  const r = result as SetConvergenceResult;
  if (!r.adds) return [];
  const lines = [
    `no lost add (every acknowledged element is in every node's final read): ${r.lost === 0 ? "ok" : `${r.lost} of ${r.adds.ok} lost`}`,
    ...r.lostElements.map(
      (l) => `  lost ${show(l.element)} (add op ${l.add}): missing on ${l.missingOn.join(", ")}`,
    ),
    `convergence (the final reads of all nodes agree): ${r.diverged === 0 ? "ok" : `${r.diverged} elements on some nodes only`}`,
    ...r.divergedElements.map(
      (d) =>
        `  ${show(d.element)}: on ${d.presentOn.join(", ")}, missing on ${d.missingOn.join(", ")}`,
    ),
    `nothing invented (every element read was added): ${r.unexpected === 0 ? "ok" : `${r.unexpected} elements`}`,
    ...r.unexpectedElements.map(
      (u) => `  ${show(u.element)} in read op ${u.read} on ${u.node}: ${u.why}`,
    ),
  ];
  if (r.malformed > 0)
    lines.push(
      `${r.malformed} reads without a list of elements: ops ${r.malformedReads.join(", ")}`,
    );
  if (r.maybe.count > 0)
    lines.push(
      `${r.maybe.count} adds of unknown outcome (info): ${r.maybe.present} show in final reads, ${r.maybe.absent} do not (either is allowed)`,
    );
  lines.push(describeFinalReads({ how: r.finalReads, missing: r.nodesWithoutFinalRead }));
  return lines;
}

export const setConvergenceChecker: Checker = {
  name: "set-convergence",
  description:
    "grow-only set: no acknowledged add lost, final reads of all nodes agree, nothing read that was not added",
  check: async (history, options) => checkSetConvergence(history, options),
  explain: explainSetConvergence,
};
