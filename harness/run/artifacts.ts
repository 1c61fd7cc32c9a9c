// Stage "store and report": results.json, report.html and junit.xml of a run folder, written
// together so they always agree (a run writes them; `faultline check <dir>` rewrites them).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Op } from "../../histories/op.ts";
import { renderReport } from "../report/html.ts";
import { renderJunit } from "../report/junit.ts";
import { counts, type Counts } from "../report/series.ts";
import { STORE_FILES, writeJson } from "../store.ts";
import type { Analysis } from "./analyze.ts";

export interface ArtifactInput {
  dir: string;
  /** test.json's content: name and parameters. */
  test: Record<string, unknown> & { name?: string };
  history: readonly Op[];
  analysis: Analysis;
  incomplete: boolean;
  durationSeconds?: number;
  /** Extra fields for results.json (the cluster id, when it was checked, ...). */
  extra?: Record<string, unknown>;
}

export function writeArtifacts(input: ArtifactInput): Counts {
  const { dir, analysis, incomplete } = input;
  const opCounts = counts(input.history);
  const name = String(input.test.name ?? dir);
  writeJson(dir, STORE_FILES.results, {
    valid: analysis.verdict,
    ...(incomplete ? { incomplete: true } : {}),
    counts: opCounts,
    ...(input.durationSeconds !== undefined ? { durationSeconds: input.durationSeconds } : {}),
    ...input.extra,
    results: analysis.results,
  });
  writeFileSync(
    join(dir, STORE_FILES.report),
    renderReport({
      title: name,
      verdict: analysis.verdict,
      incomplete,
      parameters: { ...input.test, dir },
      history: input.history,
      explanation: analysis.explanation,
    }),
  );
  writeFileSync(
    join(dir, STORE_FILES.junit),
    renderJunit({
      suite: `faultline.${name.replace(/\s+/g, ".")}`,
      durationSeconds: input.durationSeconds ?? 0,
      results: analysis.results,
      incomplete,
      explanation: analysis.explanation,
    }),
  );
  return opCounts;
}
