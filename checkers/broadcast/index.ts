// Reliable broadcast, as the source material states it, judged on a broadcast history
// (Maelstrom's broadcast workload: `broadcast` ops add a message, `read` ops list a node's
// messages):
// - validity: every acknowledged (ok) broadcast is in every node's final read;
// - agreement: a message in any node's final read is in every node's final read (messages of
//   info broadcasts count: once one node delivered it, all must);
// - integrity: no read holds a message never broadcast, one whose broadcast failed, one whose
//   broadcast had not been invoked yet when the read completed, or a message twice.
// Plus stable latency (latency.ts), a measurement that decides nothing on its own.
import type { Op } from "../../histories/op.ts";
import { pairHistory, type PairedOp } from "../../histories/pair.ts";
import type { Checker, CheckerOptions } from "../checker.ts";
import type { CheckResult } from "../types.ts";
import { collectAdded, firstFew, maxReported, readKeys, show } from "../elements.ts";
import { byNodeName, describeFinalReads, finalReads, readerOf } from "../final-reads.ts";
import { stableLatency, type StableLatency } from "./latency.ts";

/** A message some node's final read lacks. */
export interface Missing {
  message: unknown;
  /** The op index of its broadcast's invocation. */
  broadcast: number;
  missingOn: string[];
}

/** A read that holds a message it must not. */
export interface BadRead {
  message: unknown;
  /** The op index of the read's completion, and its node. */
  read: number;
  node: string;
}

export interface BroadcastResult extends CheckResult {
  finalReads: "marked" | "inferred";
  /** Every node a final read was expected from, and those without one. */
  nodes: string[];
  nodesWithoutFinalRead: string[];
  broadcasts: { ok: number; info: number; fail: number };
  validity: { valid: boolean; lost: number; lostMessages: Missing[] };
  agreement: { valid: boolean; violations: number; messages: (Missing & { seenOn: string[] })[] };
  integrity: {
    valid: boolean;
    neverBroadcast: number;
    neverBroadcastReads: BadRead[];
    failedBroadcast: number;
    failedBroadcastReads: BadRead[];
    beforeBroadcast: number;
    beforeBroadcastReads: BadRead[];
    duplicated: number;
    duplicatedReads: BadRead[];
    /** ok reads whose value is not a list of messages. */
    malformed: number;
    malformedReads: number[];
  };
  latency: StableLatency;
}

export function checkBroadcast(history: Op[], options: CheckerOptions = {}): BroadcastResult {
  const report = maxReported(options);
  const paired = pairHistory(history);
  const messages = collectAdded(paired, "broadcast");
  const final = finalReads(history, paired, "read", options.nodes);

  // Every ok read, once, with its message keys; integrity is about every read.
  const reads: { read: PairedOp; keys: string[] }[] = [];
  const malformed: number[] = [];
  const seenInfo = new Set<string>(); // info broadcasts some read showed: owed stability
  const bad = {
    never: [] as BadRead[],
    failed: [] as BadRead[],
    early: [] as BadRead[],
    dup: [] as BadRead[],
  };
  for (const p of paired) {
    if (p.f !== "read" || p.type !== "ok") continue;
    const keys = readKeys(p);
    if (!keys) {
      malformed.push(p.completion!.index);
      continue;
    }
    reads.push({ read: p, keys });
    const at = { read: p.completion!.index, node: readerOf(p) };
    const once = new Set<string>();
    const values = p.value as unknown[];
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const size = once.size;
      once.add(k);
      if (once.size === size) bad.dup.push({ message: values[i], ...at });
      const m = messages.get(k);
      if (!m) bad.never.push({ message: values[i], ...at });
      else if (m.status === "fail") bad.failed.push({ message: values[i], ...at });
      else if (p.completePos < m.invokePos) bad.early.push({ message: values[i], ...at });
      else if (m.status === "info") seenInfo.add(k);
    }
  }

  const lastKeys = new Map([...final.last].map(([r, p]) => [r, new Set(readKeys(p))]));
  const judged = [...lastKeys.keys()].sort(byNodeName);
  const lacking = (key: string) => judged.filter((r) => !lastKeys.get(r)!.has(key));

  const lost: Missing[] = [];
  for (const m of messages.values()) {
    if (m.status !== "ok") continue;
    const missingOn = lacking(m.key);
    if (missingOn.length > 0)
      lost.push({ message: m.value, broadcast: m.op.invoke.index, missingOn });
  }

  // Delivered: in any final read of any node (any round).
  const seenOn = new Map<string, Set<string>>();
  for (const p of final.all)
    for (const k of readKeys(p) ?? []) {
      if (!seenOn.has(k)) seenOn.set(k, new Set());
      seenOn.get(k)!.add(readerOf(p));
    }
  const disagreements: BroadcastResult["agreement"]["messages"] = [];
  for (const [k, on] of seenOn) {
    const m = messages.get(k);
    if (!m || m.status === "fail") continue; // an integrity violation, reported there
    const missingOn = lacking(k);
    if (missingOn.length > 0)
      disagreements.push({
        message: m.value,
        broadcast: m.op.invoke.index,
        missingOn,
        seenOn: [...on].sort(byNodeName),
      });
  }

  const latency = stableLatency([...messages.values()], reads, final.readers, seenInfo, report);
  const count = (s: string) => [...messages.values()].filter((m) => m.status === s).length;
  const integrityBad =
    bad.never.length + bad.failed.length + bad.early.length + bad.dup.length + malformed.length;

  const result: BroadcastResult = {
    valid: true,
    finalReads: final.how,
    nodes: final.readers,
    nodesWithoutFinalRead: final.missing,
    broadcasts: { ok: count("ok"), info: count("info"), fail: count("fail") },
    validity: { valid: lost.length === 0, lost: lost.length, lostMessages: firstFew(lost, report) },
    agreement: {
      valid: disagreements.length === 0,
      violations: disagreements.length,
      messages: firstFew(disagreements, report),
    },
    integrity: {
      valid: integrityBad === 0,
      neverBroadcast: bad.never.length,
      neverBroadcastReads: firstFew(bad.never, report),
      failedBroadcast: bad.failed.length,
      failedBroadcastReads: firstFew(bad.failed, report),
      beforeBroadcast: bad.early.length,
      beforeBroadcastReads: firstFew(bad.early, report),
      duplicated: bad.dup.length,
      duplicatedReads: firstFew(bad.dup, report),
      malformed: malformed.length,
      malformedReads: firstFew(malformed, report),
    },
    latency,
  };
  const broken = (["validity", "agreement", "integrity"] as const).filter((p) => !result[p].valid);
  if (broken.length > 0) {
    result.valid = false;
    result.reason = `violated: ${broken.join(", ")}`;
  } else if (final.all.length === 0) {
    result.valid = "unknown";
    result.reason = "no final read succeeded: nothing is known of what the nodes delivered";
  } else if (final.missing.length > 0) {
    result.valid = "unknown";
    result.reason = `no final read succeeded on ${final.missing.join(", ")}: validity and agreement are unknown there`;
  } else {
    result.reason = `${result.broadcasts.ok} acknowledged messages on all ${judged.length} nodes`;
  }
  return result;
}

function explainBroadcast(result: CheckResult): string[] {
  const r = result as BroadcastResult;
  if (!r.validity) return [];
  const lines: string[] = [];
  const b = r.broadcasts;
  lines.push(
    `validity (every acknowledged broadcast is in every node's final read): ${r.validity.valid ? "ok" : `${r.validity.lost} of ${b.ok} acknowledged messages lost`}`,
  );
  for (const m of r.validity.lostMessages)
    lines.push(
      `  lost ${show(m.message)} (broadcast op ${m.broadcast}): missing on ${m.missingOn.join(", ")}`,
    );
  lines.push(
    `agreement (a message one node delivered, every node delivered): ${r.agreement.valid ? "ok" : `${r.agreement.violations} messages delivered by some nodes only`}`,
  );
  for (const m of r.agreement.messages)
    lines.push(
      `  ${show(m.message)}: on ${m.seenOn.join(", ")}, missing on ${m.missingOn.join(", ")}`,
    );
  const i = r.integrity;
  lines.push(
    `integrity (only broadcast messages, each at most once): ${i.valid ? "ok" : "violated"}`,
  );
  const list = (what: string, n: number, reads: BadRead[]) => {
    if (n === 0) return;
    lines.push(`  ${n} ${what}`);
    for (const x of reads) lines.push(`    ${show(x.message)} in read op ${x.read} on ${x.node}`);
  };
  list("reads of a message never broadcast", i.neverBroadcast, i.neverBroadcastReads);
  list("reads of a message whose broadcast failed", i.failedBroadcast, i.failedBroadcastReads);
  list(
    "reads of a message before its broadcast was invoked",
    i.beforeBroadcast,
    i.beforeBroadcastReads,
  );
  list("repeats of a message within one read", i.duplicated, i.duplicatedReads);
  if (i.malformed > 0)
    lines.push(
      `  ${i.malformed} reads without a list of messages: ops ${i.malformedReads.join(", ")}`,
    );
  const l = r.latency;
  lines.push(
    l.stable > 0
      ? `stable latency over ${l.stable} messages: p50 ${l.p50Ms} ms, p95 ${l.p95Ms} ms, max ${l.maxMs} ms`
      : "stable latency: no message became stable on every node",
  );
  if (l.neverStable > 0)
    lines.push(
      `  ${l.neverStable} never stable: ${l.neverStableMessages.map((m) => show(m)).join(", ")}`,
    );
  lines.push(describeFinalReads({ how: r.finalReads, missing: r.nodesWithoutFinalRead }));
  return lines;
}

export const broadcastChecker: Checker = {
  name: "broadcast",
  description:
    "reliable broadcast: validity, agreement, integrity on the final reads of every node; stable latency",
  check: async (history, options) => checkBroadcast(history, options),
  explain: explainBroadcast,
};
