// Console lines for an agreement result: what was judged, then one line per property (ok, or
// how many instances break it), each offending instance with what every nonfaulty backup
// stored and who was faulty.
import { show } from "../elements.ts";
import type { CheckResult } from "../types.ts";
import type { AgreementResult, InstanceReport, PropertyResult } from "./checker.ts";

const stored = (v: unknown) => (v === null ? "nothing (not decided)" : show(v));

/** One line for one instance: its primary and input, what each backup stored, who lied. */
export function describeInstance(r: InstanceReport): string {
  const primary = `primary ${r.primary} ${r.primaryFaulty ? "(faulty)" : "(nonfaulty)"}, given ${show(r.input)}`;
  const backups = Object.entries(r.stored)
    .map(([node, v]) => `${node} stored ${stored(v)}`)
    .join(", ");
  const faulty = [
    r.traitors.length > 0 ? `traitors ${r.traitors.join(", ")}` : "no traitor",
    ...(r.otherFaulty.length > 0 ? [`hit by other faults ${r.otherFaulty.join(", ")}`] : []),
  ].join("; ");
  const changed = Object.entries(r.changed ?? {})
    .map(([node, vs]) => `; ${node} answered ${vs.map((v) => show(v)).join(", then ")}`)
    .join("");
  return `${r.instance}: ${primary}; ${backups}${changed} (${faulty})`;
}

function propertyLines(title: string, p: PropertyResult): string[] {
  const lines = [`${title}: ${p.valid ? "ok" : `violated in ${p.violations} instances`}`];
  for (const r of p.instances) lines.push(`  ${describeInstance(r)}`);
  if (p.violations > p.instances.length)
    lines.push(`  ... and ${p.violations - p.instances.length} more`);
  return lines;
}

export function explainAgreement(result: CheckResult): string[] {
  const r = result as AgreementResult;
  if (!r.instances) return result.reason ? [result.reason] : [];
  const i = r.instances;
  const traitors = Object.entries(r.faults.traitors)
    .map(([node, n]) => `${node} (${n} window${n === 1 ? "" : "s"})`)
    .join(", ");
  const lines = [
    `${i.total} instances, ${i.judged} judged (${i.faultyPrimary} with a faulty primary)${i.pending > 0 ? `, ${i.pending} still waiting for reads` : ""}; traitors: ${traitors || "none"}; ${r.faults.otherWindows} windows of other faults`,
  ];
  if (r.unansweredReads > 0)
    lines.push(`${r.unansweredReads} reads got no answer: what those nodes stored is unknown`);
  if (r.malformed.count > 0) {
    lines.push(`${r.malformed.count} ops without the workload's shape, left out:`);
    for (const m of r.malformed.ops) lines.push(`  op ${m.op}: ${m.why}`);
  }
  lines.push(...propertyLines("BA1 (every nonfaulty backup stores the same value)", r.ba1));
  lines.push(
    ...propertyLines(
      "BA2 (if the primary is nonfaulty, every nonfaulty backup stores what it was given)",
      r.ba2,
    ),
  );
  lines.push(
    ...propertyLines(
      "termination (every nonfaulty backup had decided when asked, after the bound)",
      r.termination,
    ),
  );
  if (r.stable)
    lines.push(...propertyLines("stable (a node's stored value never changes)", r.stable));
  return lines;
}
