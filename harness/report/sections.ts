// Sections a checker adds to report.html about its own result (a timeline of the ops it
// judged, say). A section registered here for a checker's name is drawn after the checkers'
// table whenever a result of that checker is in the report, on the same time axis as the
// report's other charts (charts.ts: timeAxis, frame, legend).
import type { CheckResult } from "../../checkers/types.ts";
import type { Op } from "../../histories/op.ts";
import type { TimeAxis } from "./charts.ts";
import type { FaultSpan } from "./faults.ts";

export interface ReportSection {
  /** The section's heading. */
  title: string;
  /** Its HTML (self-contained: inline SVG, no scripts, no external assets). */
  html: string;
}

export interface SectionContext {
  /** The result's name in the report (the checker's name, or its `as`). */
  name: string;
  result: CheckResult;
  history: readonly Op[];
  /** The report's time axis: x positions line up with the latency and fault charts. */
  axis: TimeAxis;
  faults: FaultSpan[];
}

export type CheckerSection = (ctx: SectionContext) => ReportSection | undefined;

const sections = new Map<string, CheckerSection>();

/** Draw `section` in every report that holds a result of `checker`. */
export function registerCheckerSection(checker: string, section: CheckerSection): void {
  sections.set(checker, section);
}

/** The sections of a report's results, in the results' order. */
export function checkerSections(
  results: Record<string, CheckResult>,
  ctx: Omit<SectionContext, "name" | "result">,
): ReportSection[] {
  const out: ReportSection[] = [];
  for (const [name, result] of Object.entries(results)) {
    const checker = (result as { checker?: unknown }).checker;
    const section =
      sections.get(name) ?? (typeof checker === "string" ? sections.get(checker) : undefined);
    const drawn = section?.({ ...ctx, name, result });
    if (drawn) out.push(drawn);
  }
  return out;
}
