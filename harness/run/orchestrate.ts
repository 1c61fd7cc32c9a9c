// One run, stage by stage (docs/running.md): plan -> execute -> analyze -> store and report
// -> exit code. Each stage is its own module; `faultline check` and the benchmarks reuse
// analyze, artifacts and exit-code without the live part.
import { rmSync, rmdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { HistoryWriter, readHistory } from "../../histories/jsonl.ts";
import type { CheckResult, Verdict } from "../../checkers/index.ts";
import type { Cluster, ClusterSpec } from "../../core/runtime.ts";
import type { Target } from "../../targets/types.ts";
import { UserError, type ExitCode } from "../../core/errors.ts";
import { planRun } from "../generator/plan.ts";
import type { Workload, WorkloadContext } from "../workloads/types.ts";
import { createRunDir, linkLatest, projectVersion, STORE_FILES, writeJson } from "../store.ts";
import type { Counts } from "../report/series.ts";
import type { JunitSuite } from "../report/junit.ts";
import { newClusterId } from "../runtime/names.ts";
import { validateSpec, type RunSpec } from "./spec.ts";
import { execute, errorText, type ClusterEvent } from "./execute.ts";
import { analyze, notChecked } from "./analyze.ts";
import { stoppedLine, writeArtifacts } from "./artifacts.ts";
import { exitCodeOf } from "./exit-code.ts";
import { messageFigures } from "./message-meter.ts";
import { traitorCount } from "./byzantine.ts";
import { MESSAGE_FAULTS } from "../../nemesis/faults/message-rules.ts";

/** What a run needs from the rest of Faultline; the CLI passes the real ones, tests fakes. */
export interface RunDeps {
  getTarget(name: string): Target;
  getWorkload(name: string, ctx: WorkloadContext): Workload;
  createCluster(spec: ClusterSpec): Promise<Cluster>;
  /** Where progress lines go (default stderr). */
  progressStream?: NodeJS.WritableStream;
  /** Aborted on SIGINT/SIGTERM: the run stops early, cleans up and is marked incomplete. */
  signal?: AbortSignal;
  /** Filled in as the run goes: what a second Ctrl-C leaves behind. */
  status?: RunStatus;
}

/** Where a run is: its folder once it has one, its cluster once it is being created. */
export interface RunStatus {
  dir?: string;
  clusterId?: string;
  /** The cluster's containers may exist (from just before creating it to its teardown). */
  clusterLive: boolean;
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
  /** The run's JUnit test suite (for `--junit PATH`). */
  junit: JunitSuite;
}

export async function runTest(spec: RunSpec, deps: RunDeps): Promise<RunOutcome> {
  validateSpec(spec);
  const target = deps.getTarget(spec.target);
  const nodeNames = Array.from({ length: spec.nodes }, (_, i) => `n${i + 1}`);
  const workload = deps.getWorkload(spec.workload, {
    nodes: nodeNames,
    ...(target.executedLog ? { executedLog: true } : {}),
    ...(spec.keys !== undefined ? { keys: spec.keys } : {}),
  });
  checkCompatible(spec, target, workload.name);
  const traitors = traitorCount(spec, target);
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
    ...(traitors !== undefined ? { traitors } : {}),
    ...(spec.schedule ? { schedule: spec.schedule } : {}),
  });
  const testJson: Record<string, unknown> & { name: string; cluster?: string } = {
    name: `${spec.target}${spec.variant ? `/${spec.variant}` : ""} ${workload.name} ${spec.nemesis.join(",") || "no faults"}`,
    ...spec,
    ...(traitors !== undefined ? { byzantine: traitors } : {}),
    workload: workload.name,
    version: projectVersion(),
    startedAt: new Date(startedAt).toISOString(),
    checkers: workload.checkers,
    schedule: plan.schedule,
  };
  writeJson(dir, STORE_FILES.test, testJson);
  const status = deps.status ?? { clusterLive: false };
  status.dir = dir;
  const say = deps.progressStream ?? process.stderr;

  // Stage execute. The cluster's id is chosen here and written to test.json before the
  // cluster is created: a run that dies from here on leaves its id for `faultline clean`,
  // which the console names too once the cluster is up.
  const history = HistoryWriter.open(join(dir, STORE_FILES.history));
  const onCluster = (event: ClusterEvent) => {
    status.clusterId = event.id;
    status.clusterLive =
      event.state === "starting" || event.state === "up" || event.state === "left";
    if (event.state === "starting" || (event.state === "up" && testJson.cluster !== event.id)) {
      testJson.cluster = event.id;
      writeJson(dir, STORE_FILES.test, testJson);
    }
    if (event.state === "up")
      say.write(
        `faultline: cluster ${event.id}; if this run dies, \`faultline clean --id ${event.id}\` removes what it leaves\n`,
      );
    if (event.state === "left")
      say.write(
        `faultline: could not remove cluster ${event.id} (${errorText(event.error)}); \`faultline clean --id ${event.id}\` removes it\n`,
      );
  };
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
    clusterId: newClusterId(),
    onCluster,
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

  // Refused before its cluster existed (no Docker engine, no node image, a program that
  // cannot be shipped): nothing ran and nothing needs cleaning, so `latest` stays where it
  // was; with a sentence for the user, the folder (an empty history) goes too.
  if (execution.error !== undefined && execution.clusterId === undefined) {
    if (execution.error instanceof UserError) {
      rmSync(dir, { recursive: true, force: true });
      try {
        rmdirSync(dirname(dir)); // the target's folder, if this was its only run
      } catch {
        // it holds other runs
      }
      throw execution.error;
    }
  }

  // A run the live check stopped says so first: when, and which checkers found what.
  const stopped = execution.stoppedOnViolation;
  const stoppedOnViolation = stopped && {
    atSeconds: Math.round(stopped.atMs) / 1000,
    ops: stopped.ops,
    violated: stopped.violated,
  };
  if (stoppedOnViolation) analysis.explanation.unshift(stoppedLine(stoppedOnViolation));

  // Stage store and report.
  const durationSeconds = (Date.now() - startedAt) / 1000;
  const artifacts = writeArtifacts({
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
      ...(execution.messages ? { messages: messageFigures(execution.messages, ops) } : {}),
      ...(stoppedOnViolation ? { stoppedOnViolation } : {}),
    },
  });
  // A harness error before the cluster existed is stored (the folder says what) but is no
  // run to look at first.
  if (execution.clusterId !== undefined || execution.error === undefined)
    linkLatest(spec.store, dir);

  // Stage exit code. A UserError after the cluster started (a program that cannot start)
  // keeps its own exit code and sentence; the run folder stays for a look.
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
    counts: artifacts.counts,
    explanation: analysis.explanation,
    durationSeconds,
    junit: artifacts.junit,
  };
}

export function checkCompatible(spec: RunSpec, target: Target, workload: string): void {
  const supported = target.workloads.includes("*") || target.workloads.includes(workload);
  if (!supported)
    throw new UserError(
      `Target "${target.name}" does not support the "${workload}" workload; it supports ${target.workloads.join(", ")}.`,
    );
  if (target.noClockFaults && spec.nemesis.includes("clock"))
    throw new UserError(
      `Target "${target.name}" cannot take clock faults (--nemesis clock): ${target.noClockFaults}.`,
    );
  const messageFaults = spec.nemesis.filter((f) =>
    (MESSAGE_FAULTS as readonly string[]).includes(f),
  );
  if (messageFaults.length > 0 && !target.messageRules)
    throw new UserError(
      `Target "${target.name}" cannot take message faults (--nemesis ${messageFaults.join(",")}): its nodes do not run under the node host, whose interceptors make them.`,
    );
  traitorCount(spec, target);
  if (spec.variant && spec.variant !== "correct" && !(spec.variant in target.variants))
    throw new UserError(
      `Target "${target.name}" has no variant "${spec.variant}"; its variants are ${Object.keys(target.variants).join(", ") || "none"} (see \`faultline targets\`).`,
    );
}
