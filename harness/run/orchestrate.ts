// One run, stage by stage (docs/running.md): plan -> execute -> analyze -> store and report
// -> exit code. Each stage is its own module; `faultline check` and the benchmarks reuse
// analyze, artifacts and exit-code without the live part.
import { join } from "node:path";
import { HistoryWriter, readHistory } from "../../histories/jsonl.ts";
import type { CheckResult, Verdict } from "../../checkers/index.ts";
import type { Cluster, ClusterSpec } from "../../core/runtime.ts";
import type { Target } from "../../targets/types.ts";
import { UserError, type ExitCode } from "../../core/errors.ts";
import { planRun } from "../generator/plan.ts";
import type { Workload, WorkloadContext } from "../workloads/types.ts";
import { createRunDir, linkLatest, projectVersion, STORE_FILES, writeJson } from "../store.ts";
import type { Counts } from "../report/series.ts";
import { validateSpec, type RunSpec } from "./spec.ts";
import { execute, errorText } from "./execute.ts";
import { analyze, notChecked } from "./analyze.ts";
import { writeArtifacts } from "./artifacts.ts";
import { exitCodeOf } from "./exit-code.ts";

/** What a run needs from the rest of Faultline; the CLI passes the real ones, tests fakes. */
export interface RunDeps {
  getTarget(name: string): Target;
  getWorkload(name: string, ctx: WorkloadContext): Workload;
  createCluster(spec: ClusterSpec): Promise<Cluster>;
  /** Where progress lines go (default stderr). */
  progressStream?: NodeJS.WritableStream;
  /** Aborted on SIGINT/SIGTERM: the run stops early, cleans up and is marked incomplete. */
  signal?: AbortSignal;
}

export interface RunOutcome {
  dir: string;
  verdict: Verdict;
  incomplete: boolean;
  exitCode: ExitCode;
  results: Record<string, CheckResult>;
  counts: Counts;
  explanation: string[];
  durationSeconds: number;
}

export async function runTest(spec: RunSpec, deps: RunDeps): Promise<RunOutcome> {
  validateSpec(spec);
  const target = deps.getTarget(spec.target);
  const nodeNames = Array.from({ length: spec.nodes }, (_, i) => `n${i + 1}`);
  const workload = deps.getWorkload(spec.workload, { nodes: nodeNames });
  checkCompatible(spec, target, workload.name);
  const startedAt = Date.now();

  // Stage plan: everything the seed decides, stored before anything starts.
  const dir = createRunDir(spec.store, spec.target);
  const plan = planRun({
    seed: spec.seed,
    workload,
    faults: spec.nemesis,
    nodes: nodeNames,
    nemesisIntervalSeconds: spec.nemesisIntervalSeconds,
    timeLimitSeconds: spec.timeLimitSeconds,
  });
  const testJson = {
    name: `${spec.target}${spec.variant ? `/${spec.variant}` : ""} ${workload.name} ${spec.nemesis.join(",") || "no faults"}`,
    ...spec,
    workload: workload.name,
    version: projectVersion(),
    startedAt: new Date(startedAt).toISOString(),
    checkers: workload.checkers,
    schedule: plan.schedule,
  };
  writeJson(dir, STORE_FILES.test, testJson);

  // Stage execute.
  const history = HistoryWriter.open(join(dir, STORE_FILES.history));
  const execution = await execute({
    spec,
    target,
    workload,
    plan,
    dir,
    history,
    createCluster: deps.createCluster,
    progressStream: deps.progressStream,
    interrupted: deps.signal ?? new AbortController().signal,
  });

  // Stage analyze. An interrupted run is not checked here (it was asked to stop); `faultline
  // check` can check its partial history.
  const ops = await readHistory(join(dir, STORE_FILES.history));
  const analysis = execution.error
    ? notChecked(`the run failed: ${errorText(execution.error)}`)
    : execution.incomplete
      ? notChecked("the run was interrupted; check the partial history with `faultline check`")
      : await analyze(ops, workload.checkers, {
          timeLimitMs: spec.checkTimeLimitMs,
          memoryLimitMb: spec.checkMemoryLimitMb,
        });

  // A run the live check stopped says so first: when, and which checkers found what.
  const stopped = execution.stoppedOnViolation;
  if (stopped)
    analysis.explanation.unshift(
      `Stopped at ${(stopped.atMs / 1000).toFixed(1)} s on the live check's first violation (${stopped.violated.join(", ")}, in the first ${stopped.ops} ops); --stop-on-violation`,
    );

  // Stage store and report.
  const durationSeconds = (Date.now() - startedAt) / 1000;
  const opCounts = writeArtifacts({
    dir,
    test: testJson,
    history: ops,
    analysis,
    incomplete: execution.incomplete,
    durationSeconds,
    // The runtime's id of the cluster (its containers and network carry it as a label).
    extra: {
      ...(execution.clusterId ? { cluster: execution.clusterId } : {}),
      ...(execution.liveCheck ? { liveCheck: execution.liveCheck } : {}),
      ...(stopped
        ? {
            stoppedOnViolation: {
              atSeconds: Math.round(stopped.atMs) / 1000,
              ops: stopped.ops,
              violated: stopped.violated,
            },
          }
        : {}),
    },
  });
  linkLatest(spec.store, dir);

  // Stage exit code. A UserError (no Docker, a program that cannot start) keeps its own exit
  // code and sentence; the run folder stays for a look.
  if (execution.error instanceof UserError) throw execution.error;
  return {
    dir,
    verdict: analysis.verdict,
    incomplete: execution.incomplete,
    exitCode: exitCodeOf(analysis.verdict, {
      incomplete: execution.incomplete,
      harnessError: execution.error !== undefined,
    }),
    results: analysis.results,
    counts: opCounts,
    explanation: analysis.explanation,
    durationSeconds,
  };
}

function checkCompatible(spec: RunSpec, target: Target, workload: string): void {
  const supported = target.workloads.includes("*") || target.workloads.includes(workload);
  if (!supported)
    throw new UserError(
      `Target "${target.name}" does not support the "${workload}" workload; it supports ${target.workloads.join(", ")}.`,
    );
  if (target.noClockFaults && spec.nemesis.includes("clock"))
    throw new UserError(
      `Target "${target.name}" cannot take clock faults (--nemesis clock): ${target.noClockFaults}.`,
    );
  if (spec.variant && spec.variant !== "correct" && !(spec.variant in target.variants))
    throw new UserError(
      `Target "${target.name}" has no variant "${spec.variant}"; its variants are ${Object.keys(target.variants).join(", ") || "none"} (see \`faultline targets\`).`,
    );
}
