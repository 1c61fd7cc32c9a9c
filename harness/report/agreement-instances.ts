// The agreement checker's section of report.html: every judged instance as a dot at the time
// it was proposed, in the row of the first property it breaks (or "agreed"), over the fault
// bands (the traitor windows among them), so a reader sees which windows the violations fall
// in. A hollow dot: the instance's primary was faulty.
import {
  judgeAgreement,
  type AgreementResult,
  type InstanceStatus,
} from "../../checkers/agreement/index.ts";
import type { Op } from "../../histories/op.ts";
import { PLOT, esc, faultLegend, frame, legend, n, type LegendEntry } from "./charts.ts";
import { registerCheckerSection } from "./sections.ts";

const ROWS: InstanceStatus["status"][] = ["agreed", "BA1", "BA2", "termination", "stable"];
const COLOURS: Record<InstanceStatus["status"], string> = {
  agreed: "#2e9d4c",
  BA1: "#d62728",
  BA2: "#ff7f0e",
  termination: "#8a5cc7",
  stable: "#8c564b",
};
const ROW_HEIGHT = 24;

registerCheckerSection("agreement", ({ result, history, axis, faults }) => {
  const r = result as AgreementResult;
  if (!r.instances || r.instances.judged === 0) return undefined;
  const { statuses } = judgeAgreement(history as Op[], {
    decideWithinMs: r.decideWithinMs ?? 0,
    maxReported: 0,
  });
  const height = PLOT.top + ROWS.length * ROW_HEIGHT + PLOT.bottom;
  const y = (status: InstanceStatus["status"]) =>
    PLOT.top + (ROWS.indexOf(status) + 0.5) * ROW_HEIGHT;
  const dots = statuses
    .map((s) => {
      const c = COLOURS[s.status];
      const fill = s.primaryFaulty ? "none" : c;
      const tip = `${s.instance}: ${s.status}${s.primaryFaulty ? " (faulty primary)" : ""}`;
      return `<circle cx="${n(axis.x(s.fromNs / 1e9))}" cy="${n(y(s.status))}" r="3" fill="${fill}" stroke="${c}"><title>${esc(tip)}</title></circle>`;
    })
    .join("");
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const entries: LegendEntry[] = ROWS.filter((row) => counts.has(row)).map((row) => ({
    label: `${row} (${counts.get(row)})`,
    colour: COLOURS[row],
    shape: "dot",
  }));
  const svg = frame({
    axis,
    height,
    label: "Agreement instances over time, by the first property each breaks",
    yTitle: "",
    yTicks: ROWS.map((row) => ({ y: y(row), label: row })),
    faults,
    body: dots,
  });
  return {
    title: "Agreement instances",
    html: `${legend([...entries, ...faultLegend(faults)])}<p>Each instance at the time it was proposed; hollow: its primary was faulty.</p>${svg}`,
  };
});
