// The agreement checker (docs/checkers.md, "agreement"): Byzantine agreement as the source
// material states it, judged per instance of the `agreement` workload.
//   BA1: every nonfaulty backup stores the same value.
//   BA2: if the primary is nonfaulty, every nonfaulty backup stores exactly what the primary
//        was given (judged when its propose was acknowledged: only then was it surely given).
//   termination: every nonfaulty backup had decided when it was asked, after the workload's
//        bound, in every instance that began (a nonfaulty primary took the value, or some
//        nonfaulty backup decided).
//   stable: a nonfaulty node never answers two different stored values for one instance.
// What a backup stores is its first decided answer in any read (instances.ts: due reads,
// early reads and the workload's re-reads).
// A faulty primary may make the backups store a value other than its input: BA1 still binds.
// Faulty: a traitor during the instance, or a node hit by another fault then (faulty.ts).
import type { Op } from "../../histories/op.ts";
import type { Checker, CheckerOptions } from "../checker.ts";
import { firstFew, jsonKey, maxReported } from "../elements.ts";
import { byNodeName } from "../final-reads.ts";
import type { CheckResult } from "../types.ts";
import { explainAgreement } from "./explain.ts";
import { faultMap, faultyIn, type FaultyNodes } from "./faulty.ts";
import { parseAgreement, type Instance } from "./instances.ts";

/** One instance named in a violation: what each backup stored and who was faulty. */
export interface InstanceReport {
  instance: string;
  primary: string;
  input: unknown;
  primaryFaulty: boolean;
  /** Nonfaulty backups -> what they stored (null: not decided). */
  stored: Record<string, unknown>;
  /** Traitors during the instance. */
  traitors: string[];
  /** Nodes hit by other faults during the instance. */
  otherFaulty: string[];
  /** termination: the nonfaulty backups that had not decided when asked after the bound. */
  undecided?: string[];
  /** stable: nonfaulty nodes -> the different values they answered, in order. */
  changed?: Record<string, unknown[]>;
}

export interface PropertyResult {
  valid: boolean;
  violations: number;
  instances: InstanceReport[];
}

export interface AgreementResult extends CheckResult {
  /** The bound the due reads were judged by (option decideWithinMs). */
  decideWithinMs: number;
  instances: {
    total: number;
    /** With at least one nonfaulty backup that answered. */
    judged: number;
    /** Of the judged, those whose primary was faulty. */
    faultyPrimary: number;
    /** Left out while the run goes on: not every node has answered yet (`live`). */
    pending: number;
  };
  faults: {
    /** Each traitor and how many windows it had. */
    traitors: Record<string, number>;
    otherWindows: number;
  };
  /** Reads that got no answer: what that node stored is unknown. */
  unansweredReads: number;
  malformed: { count: number; ops: { op: number; why: string }[] };
  ba1: PropertyResult;
  ba2: PropertyResult;
  termination: PropertyResult;
  stable: PropertyResult;
}

function report(
  inst: Instance,
  faulty: FaultyNodes,
  nonfaulty: [string, unknown][],
  changed?: Map<string, unknown[]>,
): InstanceReport {
  return {
    ...(changed
      ? {
          changed: Object.fromEntries(
            [...changed]
              .filter(([node]) => !faulty.all.has(node))
              .sort(([a], [b]) => byNodeName(a, b)),
          ),
        }
      : {}),
    instance: inst.id,
    primary: inst.primary!,
    input: inst.input,
    primaryFaulty: faulty.all.has(inst.primary!),
    stored: Object.fromEntries(nonfaulty),
    traitors: [...faulty.traitors].sort(byNodeName),
    otherFaulty: [...faulty.others].sort(byNodeName),
  };
}

function nodesOption(options: CheckerOptions): string[] | undefined {
  return Array.isArray(options.nodes)
    ? options.nodes.filter((n): n is string => typeof n === "string")
    : undefined;
}

function boundOption(options: CheckerOptions): number {
  const b = options.decideWithinMs;
  return typeof b === "number" && b >= 0 ? b : 0;
}

/** Where one judged instance stands, for timelines (the report's section). */
export interface InstanceStatus {
  instance: string;
  fromNs: number;
  primaryFaulty: boolean;
  /** The first property it breaks (BA1, BA2, termination, stable), or "agreed". */
  status: "BA1" | "BA2" | "termination" | "stable" | "agreed";
}

export function checkAgreement(history: Op[], options: CheckerOptions = {}): AgreementResult {
  return judgeAgreement(history, options).result;
}

/** The checker's verdict, and where every judged instance stands. */
export function judgeAgreement(
  history: Op[],
  options: CheckerOptions = {},
): { result: AgreementResult; statuses: InstanceStatus[] } {
  const statuses: InstanceStatus[] = [];
  const parsed = parseAgreement(history, boundOption(options));
  const faults = faultMap(history, parsed.endNs);
  const nodes = nodesOption(options);
  const live = options.live === true;
  const ba1: InstanceReport[] = [];
  const ba2: InstanceReport[] = [];
  const termination: InstanceReport[] = [];
  const stable: InstanceReport[] = [];
  let judged = 0;
  let faultyPrimary = 0;
  let pending = 0;
  let unansweredReads = 0;
  const ordered = [...parsed.instances.values()].sort((a, b) => a.fromNs - b.fromNs);
  for (const inst of ordered) {
    unansweredReads += inst.unanswered.size;
    if (inst.primary === undefined) continue;
    // While the run goes on, an instance is judged once every node has answered its due read:
    // only then is its span, and so who was faulty in it, final (the check stays
    // prefix-closed).
    if (live && nodes && !nodes.every((n) => inst.due.has(n) || inst.unanswered.has(n))) {
      pending++;
      continue;
    }
    const faulty = faultyIn(faults, inst.fromNs, inst.toNs);
    const backups = new Set([...inst.due.keys(), ...inst.stored.keys()]);
    const nonfaulty: [string, unknown][] = [...backups]
      .filter((node) => node !== inst.primary && !faulty.all.has(node))
      .sort(byNodeName)
      .map((node) => [node, inst.stored.get(node) ?? null]);
    const changed = [...inst.changed.keys()].filter((node) => !faulty.all.has(node));
    if (changed.length > 0) stable.push(report(inst, faulty, nonfaulty, inst.changed));
    if (nonfaulty.length === 0) continue;
    judged++;
    const primaryOk = !faulty.all.has(inst.primary);
    if (!primaryOk) faultyPrimary++;
    const decided = nonfaulty.filter(([, v]) => v !== null);
    if (new Set(decided.map(([, v]) => jsonKey(v))).size > 1)
      ba1.push(report(inst, faulty, nonfaulty));
    const given = primaryOk && inst.propose === "ok";
    if (given && decided.some(([, v]) => jsonKey(v) !== jsonKey(inst.input)))
      ba2.push(report(inst, faulty, nonfaulty));
    const began = given || decided.length > 0;
    const late = nonfaulty.filter(([node]) => inst.due.get(node) === null);
    if (began && late.length > 0)
      termination.push({ ...report(inst, faulty, nonfaulty), undecided: late.map(([n]) => n) });
    const breaks = (list: InstanceReport[]) => list.at(-1)?.instance === inst.id;
    statuses.push({
      instance: inst.id,
      fromNs: inst.fromNs,
      primaryFaulty: !primaryOk,
      status: breaks(ba1)
        ? "BA1"
        : breaks(ba2)
          ? "BA2"
          : breaks(termination)
            ? "termination"
            : breaks(stable)
              ? "stable"
              : "agreed",
    });
  }

  const max = maxReported(options);
  const property = (found: InstanceReport[]): PropertyResult => ({
    valid: found.length === 0,
    violations: found.length,
    instances: firstFew(found, max),
  });
  const traitors: Record<string, number> = {};
  for (const node of [...faults.traitors.keys()].sort(byNodeName))
    traitors[node] = faults.traitors.get(node)!.length;
  const result: AgreementResult = {
    valid: true,
    decideWithinMs: boundOption(options),
    instances: { total: parsed.instances.size, judged, faultyPrimary, pending },
    faults: { traitors, otherWindows: faults.otherWindows },
    unansweredReads,
    malformed: { count: parsed.malformed.length, ops: firstFew(parsed.malformed, max) },
    ba1: property(ba1),
    ba2: property(ba2),
    termination: property(termination),
    stable: property(stable),
  };
  const broken: [string, number][] = (
    [
      ["BA1", ba1.length],
      ["BA2", ba2.length],
      ["termination", termination.length],
      ["stable", stable.length],
    ] as [string, number][]
  ).filter(([, n]) => n > 0);
  if (broken.length > 0) {
    result.valid = false;
    result.reason = `violated: ${broken.map(([p, n]) => `${p} in ${n} instance${n === 1 ? "" : "s"}`).join(", ")}`;
  } else if (judged === 0) {
    result.valid = "unknown";
    result.reason = `nothing to judge: no instance had a nonfaulty backup that answered (${parsed.instances.size} instances)`;
  } else {
    const traitorText = Object.keys(traitors).length
      ? `traitors ${Object.keys(traitors).join(", ")}`
      : "no traitors";
    result.reason = `${judged} instances agreed (${faultyPrimary} with a faulty primary; ${traitorText}): BA1, BA2, termination and stable hold`;
  }
  return { result, statuses };
}

export const agreementChecker: Checker = {
  name: "agreement",
  prefixClosed: true,
  description:
    "Byzantine agreement per instance: BA1 (nonfaulty backups store the same value), BA2 (a nonfaulty primary's input is stored), termination within the bound, stable stored values",
  check: async (history, options) => checkAgreement(history, options),
  explain: explainAgreement,
};
