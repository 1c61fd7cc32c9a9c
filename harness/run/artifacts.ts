// Stage "store and report": results.json, report.html and junit.xml of a run folder, made from
// one analysis and written together so they always agree (a run writes them; `faultline check
// <dir> --write-results` rewrites them; `--report`/`--junit` write the same page and XML
// elsewhere, also for an imported history).
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Op } from "../../histories/op.ts";
import { renderReport } from "../report/html.ts";
import { junitDocument, junitSuite, type JunitSuite } from "../report/junit.ts";
import { replayCommand, rerunCommand } from "../report/replay.ts";
import { counts, type Counts } from "../report/series.ts";
import { STORE_FILES, writeJson } from "../store.ts";
import type { Analysis } from "./analyze.ts";

export interface ArtifactInput {
  /** The run folder (absent for an imported history checked on its own). */
  dir?: string;
  /** test.json's content: name and parameters (or, for an imported history, the check's). */
  test: Record<string, unknown> & { name?: string };
  history: readonly Op[];
  analysis: Analysis;
  incomplete: boolean;
  durationSeconds?: number;
  /** Extra fields for results.json (the cluster id, when it was checked, ...). */
  extra?: Record<string, unknown>;
  /** The command that repeats it (default: the run's, from test.json). */
  replay?: string;
  /** When it ran (default: test.json's startedAt, else now). */
  timestamp?: Date;
}

export interface Artifacts {
  counts: Counts;
  results: Record<string, unknown>;
  report: string;
  junit: JunitSuite;
}

/** test.json fields that are not parameters of the run (the planned schedule is long, and
 *  the report's fault table shows what was applied). */
const NOT_PARAMETERS = new Set(["schedule", "name"]);

export function buildArtifacts(input: ArtifactInput): Artifacts {
  const { dir, analysis, incomplete, test } = input;
  const opCounts = counts(input.history);
  const name = String(test.name ?? (dir ? basename(dir) : "history"));
  const replay = input.replay ?? replayCommand(test, dir);
  // Without the run folder, the same seed and parameters from scratch.
  const rerun = input.replay === undefined && dir !== undefined ? rerunCommand(test) : undefined;
  const started = typeof test.startedAt === "string" ? new Date(test.startedAt) : undefined;
  const timestamp = input.timestamp ?? (started && !isNaN(+started) ? started : new Date());
  const results = {
    valid: analysis.verdict,
    ...(incomplete ? { incomplete: true } : {}),
    counts: opCounts,
    ...(input.durationSeconds !== undefined ? { durationSeconds: input.durationSeconds } : {}),
    ...input.extra,
    results: analysis.results,
  };
  const report = renderReport({
    title: name,
    verdict: analysis.verdict,
    incomplete,
    parameters: { ...test, ...(dir ? { dir } : {}) },
    history: input.history,
    explanation: analysis.explanation,
    results: analysis.results,
    ...(replay ? { replay } : {}),
  });
  const junit = junitSuite({
    suite: `faultline.${name.replace(/\s+/g, ".")}`,
    durationSeconds: input.durationSeconds ?? (analysis.elapsedMs ?? 0) / 1000,
    checkSeconds: (analysis.elapsedMs ?? 0) / 1000,
    results: analysis.results,
    incomplete,
    explanation: analysis.explanation,
    timestamp,
    // The seed first: it is what a reader of a failed CI job needs most.
    properties: Object.fromEntries(
      Object.entries({ seed: test.seed, ...test, rerun }).filter(
        ([k, v]) => !NOT_PARAMETERS.has(k) && v !== undefined,
      ),
    ),
    ...(replay ? { replay } : {}),
    ...(dir ? { dir } : {}),
  });
  return { counts: opCounts, results, report, junit };
}

/** Write results.json, report.html and junit.xml into the run folder `input.dir`. */
export function writeArtifacts(input: ArtifactInput & { dir: string }): Artifacts {
  const artifacts = buildArtifacts(input);
  writeJson(input.dir, STORE_FILES.results, artifacts.results);
  writeFileSync(join(input.dir, STORE_FILES.report), artifacts.report);
  writeFileSync(join(input.dir, STORE_FILES.junit), junitDocument([artifacts.junit]));
  return artifacts;
}

/** Write a file where the user asked for it (--report, --junit), creating its folder. */
export function writeOutFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** The first line of the explanation of a run the live check stopped. */
export function stoppedLine(stopped: {
  atSeconds: number;
  ops: number;
  violated: string[];
}): string {
  return `Stopped at ${stopped.atSeconds.toFixed(1)} s on the live check's first violation (${stopped.violated.join(", ")}, in the first ${stopped.ops} ops); --stop-on-violation`;
}
