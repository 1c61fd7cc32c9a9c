// The flow of one run: plan -> cluster -> workers + nemesis on one clock -> heal, settle, final
// reads -> teardown -> check -> store. Whatever happens (a fault error, SIGINT), faults are
// healed, the cluster torn down and the history closed readable.
import { setMaxListeners } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Op } from "../../histories/op.ts";
import { HistoryWriter, readHistory } from "../../histories/jsonl.ts";
import type { CheckResult, Verdict } from "../../checkers/types.ts";
import type { Cluster, ClusterSpec } from "../../core/runtime.ts";
import type { Target } from "../../targets/types.ts";
import { EXIT, UserError, type ExitCode } from "../../core/errors.ts";
import { RunClock, sleep } from "../../core/clock.ts";
import { Pacer } from "../generator/pacer.ts";
import { planRun } from "../generator/plan.ts";
import { WorkerPool } from "../workers.ts";
import { Nemesis } from "../../nemesis/nemesis.ts";
import type { Workload } from "../workloads/types.ts";
import { createRunDir, linkLatest, projectVersion, STORE_FILES, writeJson } from "../store.ts";
import { Progress } from "../report/progress.ts";
import { renderReport } from "../report/html.ts";
import { renderJunit } from "../report/junit.ts";
import { counts, type Counts } from "../report/series.ts";
import { validateSpec, type RunSpec } from "./spec.ts";

/** What a run needs from the rest of Faultline; the CLI passes the real ones, tests fakes. */
export interface RunDeps {
  getTarget(name: string): Target;
  getWorkload(name: string): Workload;
  createCluster(spec: ClusterSpec): Promise<Cluster>;
  /** Lines explaining a check result (the checker's formatExplanation). */
  explain(result: CheckResult): string[];
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

/** How long the target gets to come up at the start, and after the final heal. */
const READY_TIMEOUT_MS = 60_000;
const RECOVER_TIMEOUT_MS = 30_000;

export async function runTest(spec: RunSpec, deps: RunDeps): Promise<RunOutcome> {
  validateSpec(spec);
  const target = deps.getTarget(spec.target);
  const workload = deps.getWorkload(spec.workload);
  checkCompatible(spec, target);
  const startedAt = Date.now();
  const interrupted = deps.signal ?? new AbortController().signal;

  const dir = createRunDir(spec.store, spec.target);
  const nodeNames = Array.from({ length: spec.nodes }, (_, i) => `n${i + 1}`);
  const plan = planRun({
    seed: spec.seed,
    workload,
    faults: spec.nemesis,
    nodes: nodeNames,
    nemesisIntervalSeconds: spec.nemesisIntervalSeconds,
    timeLimitSeconds: spec.timeLimitSeconds,
  });
  const testJson = {
    name: `${spec.target}${spec.variant ? `/${spec.variant}` : ""} ${spec.workload} ${spec.nemesis.join(",") || "no faults"}`,
    ...spec,
    version: projectVersion(),
    startedAt: new Date(startedAt).toISOString(),
    checker: workload.checkerSpec,
    schedule: plan.schedule,
  };
  writeJson(dir, STORE_FILES.test, testJson);
  const history = HistoryWriter.open(join(dir, STORE_FILES.history));

  let cluster: Cluster | undefined;
  let nemesis: Nemesis | undefined;
  let pool: WorkerPool | undefined;
  let progress: Progress | undefined;
  let harnessError: unknown;
  let phase = "setup";
  try {
    const clusterSpec = await target.clusterSpec({ nodes: spec.nodes, variant: spec.variant });
    if (interrupted.aborted) throw new Interrupted();
    cluster = await deps.createCluster({ ...clusterSpec, nodes: spec.nodes });
    await unlessInterrupted(target.awaitReady(cluster, READY_TIMEOUT_MS), interrupted);

    // The run's clock starts with the main phase: op times and the schedule share it.
    const clock = new RunClock();
    const live = cluster;
    nemesis = new Nemesis(live, target, history, clock);
    const nem = nemesis;
    progress = new Progress(
      {
        elapsedMs: () => clock.elapsedMs(),
        totalMs: spec.timeLimitSeconds * 1000,
        faults: () => nem.activeFaults().map((f) => f.label),
        phase: () => phase,
      },
      { stream: deps.progressStream },
    );
    pool = new WorkerPool({
      concurrency: spec.concurrency,
      nodes: live.nodes,
      openClient: (node) => target.client(live, node),
      recorder: history,
      clock,
      rng: plan.rng,
      timeoutMs: spec.timeoutMs,
      interpret: workload.interpret?.bind(workload),
      onComplete: progress.record,
    });
    progress.start();

    phase = "main";
    // If either side fails, the other is stopped too before the error is handled.
    const failed = new AbortController();
    const stopMain = AbortSignal.any([interrupted, failed.signal]);
    // Every worker waits on these signals at once: more listeners than Node's default 10.
    setMaxListeners(0, stopMain, interrupted);
    const settled = await Promise.allSettled(
      [
        pool.run(
          plan.main,
          stopMain,
          spec.rate > 0 ? new Pacer(spec.rate, clock.elapsedMs()) : undefined,
        ),
        nemesis.run(plan.schedule, stopMain),
      ].map((p) => p.catch((err) => (failed.abort(), Promise.reject(err)))),
    );
    for (const s of settled) if (s.status === "rejected") throw s.reason;

    if (!interrupted.aborted) {
      phase = "heal";
      await nemesis.healAll();
      phase = "settle";
      await sleep(spec.settleSeconds * 1000, interrupted);
      await unlessInterrupted(
        target.awaitReady(live, RECOVER_TIMEOUT_MS).catch(() => undefined),
        interrupted,
      );
      phase = "final reads";
      if (!interrupted.aborted) await pool.run(plan.final, interrupted);
    }
  } catch (err) {
    if (!(err instanceof Interrupted)) harnessError = err;
  } finally {
    phase = "teardown";
    progress?.stop();
    await pool?.close().catch(() => undefined);
    await nemesis?.healAll().catch(() => undefined);
    if (cluster) {
      await collectLogs(cluster, target, dir);
      await cluster.teardown().catch(() => undefined);
    }
    await history.close();
  }

  const incomplete = interrupted.aborted;
  const ops = await readHistory(join(dir, STORE_FILES.history));
  let results: Record<string, CheckResult>;
  if (harnessError) {
    results = { run: { valid: "unknown", reason: `the run failed: ${errorText(harnessError)}` } };
  } else if (incomplete) {
    // An interrupted run is not checked here (it was asked to stop); `faultline check` can.
    results = {
      run: {
        valid: "unknown",
        reason: "the run was interrupted; check the partial history with `faultline check`",
      },
    };
  } else {
    results = await workload.check(ops, {
      timeLimitMs: spec.checkTimeLimitMs,
      memoryLimitMb: spec.checkMemoryLimitMb,
    });
  }
  const verdict = combine(Object.values(results).map((r) => r.valid));
  const explanation = Object.entries(results)
    .filter(([, r]) => r.valid !== true)
    .flatMap(([name, r]) => [
      `${name}: ${r.reason ?? (r.valid === false ? "violation" : "unknown")}`,
      ...safeExplain(deps, r),
    ]);
  const durationSeconds = (Date.now() - startedAt) / 1000;
  const opCounts = counts(ops);

  writeJson(dir, STORE_FILES.results, {
    valid: verdict,
    ...(incomplete ? { incomplete: true } : {}),
    counts: opCounts,
    // The runtime's id of the cluster (its containers and network carry it as a label).
    ...(cluster ? { cluster: cluster.id } : {}),
    durationSeconds,
    results,
  });
  writeFileSync(
    join(dir, STORE_FILES.report),
    renderReport({
      title: testJson.name,
      verdict,
      incomplete,
      parameters: { ...spec, version: testJson.version, dir },
      history: ops,
      explanation,
    }),
  );
  writeFileSync(
    join(dir, STORE_FILES.junit),
    renderJunit({
      suite: `faultline.${testJson.name.replace(/\s+/g, ".")}`,
      durationSeconds,
      results,
      incomplete,
      explanation,
    }),
  );
  linkLatest(spec.store, dir);

  if (harnessError instanceof UserError) throw harnessError; // e.g. no Docker: exit 5, run folder kept
  const exitCode: ExitCode = harnessError
    ? EXIT.harnessError
    : incomplete
      ? EXIT.interrupted
      : verdict === true
        ? EXIT.valid
        : verdict === false
          ? EXIT.invalid
          : EXIT.unknown;
  return {
    dir,
    verdict,
    incomplete,
    exitCode,
    results,
    counts: opCounts,
    explanation,
    durationSeconds,
  };
}

/** Several verdicts as one: any violation is a violation; otherwise any unknown is unknown. */
export function combine(verdicts: Verdict[]): Verdict {
  if (verdicts.includes(false)) return false;
  if (verdicts.includes("unknown") || verdicts.length === 0) return "unknown";
  return true;
}

function checkCompatible(spec: RunSpec, target: Target): void {
  if (!target.workloads.includes(spec.workload))
    throw new UserError(
      `Target "${target.name}" does not support the "${spec.workload}" workload; it supports ${target.workloads.join(", ")}.`,
    );
  if (spec.variant && spec.variant !== "correct" && !(spec.variant in target.variants))
    throw new UserError(
      `Target "${target.name}" has no variant "${spec.variant}"; its variants are ${Object.keys(target.variants).join(", ") || "none"} (see \`faultline targets\`).`,
    );
}

/** Each node's container output and the target's log files, into <run dir>/logs/. */
async function collectLogs(cluster: Cluster, target: Target, dir: string): Promise<void> {
  await Promise.all(
    cluster.nodes.map(async ({ name }) => {
      const main = await cluster
        .logs(name)
        .catch((err) => `(could not read the node's logs: ${errorText(err)})\n`);
      writeFileSync(join(dir, STORE_FILES.logs, `${name}.log`), main);
      for (const path of target.logPaths) {
        const content = await cluster.getFile(name, path).catch(() => undefined);
        if (content)
          writeFileSync(
            join(dir, STORE_FILES.logs, `${name}-${path.replace(/[^\w.-]+/g, "_")}`),
            content,
          );
      }
    }),
  );
}

function safeExplain(deps: RunDeps, result: CheckResult): string[] {
  try {
    return deps.explain(result);
  } catch {
    return [];
  }
}

class Interrupted extends Error {}

/** Wait for `work`, but stop waiting (throwing Interrupted) as soon as `signal` aborts. */
async function unlessInterrupted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  // Whatever `work` does after we stop waiting (it may fail once the cluster is gone) is moot.
  work.catch(() => undefined);
  if (signal.aborted) throw new Interrupted();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Interrupted());
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export type { Op };
