// State machine replication's safety, judged on what the replicas say they executed: every
// nonfaulty replica executed the same requests in the same order, so of any two executed logs
// (collected at the end of the run by the `executed-log` operation, one per node) one is a
// prefix of the other. A node that was a traitor at any moment of the run (the `byzantine`
// nemesis's windows, checkers/byzantine/traitors.ts) is faulty and not judged; a replica that
// is merely behind (a shorter log) is not a violation.
import type { Op } from "../../histories/op.ts";
import { pairHistory } from "../../histories/pair.ts";
import type { Checker, CheckerOptions } from "../checker.ts";
import type { CheckResult } from "../types.ts";
import { faultyDuring, traitorWindows } from "../byzantine/traitors.ts";
import { byNodeName, readerOf } from "../final-reads.ts";

export const EXECUTED_LOG_F = "executed-log";

export interface ReplicaAgreementResult extends CheckResult {
  /** Per judged replica: how many sequence numbers it executed. */
  lengths: Record<string, number>;
  /** Traitors at some moment of the run: not judged. */
  faulty: string[];
  /** Nodes whose executed log was asked for but never came back. */
  missing: string[];
  /** The first sequence number two nonfaulty replicas executed differently, and what each of
   *  them executed there. */
  divergence?: { seq: number; executed: Record<string, string> };
}

export function checkReplicaAgreement(
  history: Op[],
  options: CheckerOptions = {},
): ReplicaAgreementResult {
  const f = typeof options.f === "string" ? options.f : EXECUTED_LOG_F;
  const paired = pairHistory(history);
  const clientOps = paired.filter((p) => p.f !== f);
  const from = Math.min(...clientOps.map((p) => p.invoke.time), Infinity);
  const to = Math.max(
    ...clientOps.map((p) => p.completion?.time ?? p.invoke.time),
    from === Infinity ? 0 : from,
  );
  const faulty = faultyDuring(traitorWindows(history), from === Infinity ? 0 : from, to);

  const asked = new Set<string>();
  const logs = new Map<string, string[]>();
  for (const p of paired) {
    if (p.f !== f) continue;
    const node = readerOf(p);
    asked.add(node);
    if (p.type === "ok" && Array.isArray(p.value))
      logs.set(node, (p.value as unknown[]).map(entry));
  }
  const judged = [...logs.keys()].filter((n) => !faulty.has(n)).sort(byNodeName);
  const missing = [...asked].filter((n) => !logs.has(n) && !faulty.has(n)).sort(byNodeName);
  const lengths = Object.fromEntries(judged.map((n) => [n, logs.get(n)!.length]));
  const base = { lengths, faulty: [...faulty].sort(byNodeName), missing };

  const divergence = firstDivergence(judged, logs);
  if (divergence) {
    const [a, b] = Object.entries(divergence.executed);
    return {
      valid: false,
      reason: `nonfaulty replicas executed different requests at sequence number ${divergence.seq}: ${a![0]} executed ${short(a![1])}, ${b![0]} executed ${short(b![1])}`,
      ...base,
      divergence,
    };
  }
  if (judged.length < 2)
    return {
      valid: "unknown",
      reason:
        asked.size === 0
          ? "no executed log was asked for: nothing to compare"
          : `only ${judged.length} nonfaulty replica${judged.length === 1 ? "" : "s"} answered with its executed log: nothing to compare`,
      ...base,
    };
  const longest = Math.max(...judged.map((n) => logs.get(n)!.length));
  return {
    valid: true,
    reason: `the executed logs of ${judged.length} nonfaulty replicas (${judged.join(", ")}) are prefixes of one log of ${longest} sequence numbers`,
    ...base,
  };
}

/** The smallest sequence number at which two of the logs hold different entries. */
function firstDivergence(
  nodes: string[],
  logs: Map<string, string[]>,
): ReplicaAgreementResult["divergence"] {
  const longest = Math.max(0, ...nodes.map((n) => logs.get(n)!.length));
  for (let i = 0; i < longest; i++) {
    const at = new Map<string, string>();
    for (const n of nodes) {
      const e = logs.get(n)![i];
      if (e !== undefined) at.set(n, e);
    }
    const distinct = new Set(at.values());
    if (distinct.size < 2) continue;
    // Name one replica per distinct entry (the first of each, in node order).
    const executed: Record<string, string> = {};
    for (const value of distinct) {
      const node = [...at.entries()].find(([, e]) => e === value)![0];
      executed[node] = value;
    }
    return { seq: i + 1, executed };
  }
  return undefined;
}

/** An entry cut for a one-line reason (a batch of requests can be long). */
function short(e: string, max = 80): string {
  return e.length > max ? `${e.slice(0, max - 3)}...` : e;
}

function entry(e: unknown): string {
  return typeof e === "string" ? e : JSON.stringify(e);
}

function explainReplicaAgreement(result: CheckResult): string[] {
  const r = result as ReplicaAgreementResult;
  const lines = [`replica-agreement: ${r.reason ?? ""}`];
  if (r.divergence)
    for (const [node, e] of Object.entries(r.divergence.executed))
      lines.push(`  seq ${r.divergence.seq} at ${node}: ${short(e, 400)}`);
  if (r.faulty?.length)
    lines.push(`  not judged (traitors during the run): ${r.faulty.join(", ")}`);
  if (r.missing?.length) lines.push(`  no executed log from: ${r.missing.join(", ")}`);
  return lines;
}

export const replicaAgreementChecker: Checker = {
  name: "replica-agreement",
  description:
    "every nonfaulty replica executed the same requests in the same order (executed logs collected at the end are prefixes of one log)",
  check: async (history, options) => checkReplicaAgreement(history, options),
  explain: explainReplicaAgreement,
};
