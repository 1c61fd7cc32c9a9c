// Stage "execute": the live part of a run. Cluster up, the target's background services,
// setup ops, then workers and nemesis on one clock, heal, settle, final ops, teardown. Whatever
// happens (a fault error, SIGINT), faults are healed, the cluster torn down and the history
// closed readable.
import { setMaxListeners } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HistoryWriter } from "../../histories/jsonl.ts";
import type { Cluster, ClusterSpec } from "../../core/runtime.ts";
import type { Target } from "../../targets/types.ts";
import { RunClock, sleep } from "../../core/clock.ts";
import { Pacer } from "../generator/pacer.ts";
import type { RunPlan } from "../generator/plan.ts";
import { WorkerPool } from "../workers.ts";
import { Nemesis } from "../../nemesis/nemesis.ts";
import { byzantineEnv } from "../../targets/host/interceptors/byzantine-env.ts";
import type { Workload } from "../workloads/types.ts";
import { STORE_FILES } from "../store.ts";
import { Progress } from "../report/progress.ts";
import type { RunSpec } from "./spec.ts";
import { LiveCheck, type LiveCheckStats, type LiveViolation } from "./live-check.ts";
import { MessageMeter } from "./message-meter.ts";

export interface ExecuteInput {
  spec: RunSpec;
  target: Target;
  workload: Workload;
  plan: RunPlan;
  dir: string;
  history: HistoryWriter;
  createCluster(spec: ClusterSpec): Promise<Cluster>;
  progressStream?: NodeJS.WritableStream;
  /** Aborted on SIGINT/SIGTERM. */
  interrupted: AbortSignal;
  /** The id to give the cluster (chosen before it exists, so it can be recorded first). */
  clusterId?: string;
  /** Told when the cluster is about to be created, is up, and is gone (or failed to go). */
  onCluster?(event: ClusterEvent): void;
}

export type ClusterEvent =
  | { state: "starting"; id: string }
  | { state: "up"; id: string }
  | { state: "down"; id: string }
  | { state: "left"; id: string; error: unknown };

export interface Execution {
  /** The runtime's id of the cluster, if one was created. */
  clusterId?: string;
  /** What went wrong in the harness or environment, if anything (not an interruption). */
  error?: unknown;
  incomplete: boolean;
  /** The live check's first violation, when --stop-on-violation ended the run on it. */
  stoppedOnViolation?: LiveViolation;
  /** What the live check did, if the run had one. */
  liveCheck?: LiveCheckStats;
  /** Node-to-node messages sent during the main phase, when the target counts them. */
  messages?: { sent: number; polls: number; nodes: number };
}

/** How long the target gets to come up at the start, and after the final heal. */
const READY_TIMEOUT_MS = 60_000;
const RECOVER_TIMEOUT_MS = 30_000;
/** How often the live check looks at the history so far (a check still going delays it). */
const LIVE_CHECK_EVERY_MS = 3_000;
/** A live check that needs more than this answers unknown: the check after the run has the
 *  full budget, and the system under test needs the CPU more. */
const LIVE_CHECK_BUDGET = { timeLimitMs: 10_000, memoryLimitMb: 512 };

export async function execute(input: ExecuteInput): Promise<Execution> {
  const { spec, target, workload, plan, interrupted } = input;
  let cluster: Cluster | undefined;
  let background: { stop(): Promise<void> } | undefined;
  let nemesis: Nemesis | undefined;
  let pool: WorkerPool | undefined;
  let progress: Progress | undefined;
  let liveCheck: LiveCheck | undefined;
  let meter: MessageMeter | undefined;
  let messages: Execution["messages"];
  let stoppedOnViolation: LiveViolation | undefined;
  let error: unknown;
  let phase = "setup";
  // Aborted by the live check's first violation when the run is to stop on one.
  const violated = new AbortController();
  let clock: RunClock | undefined;
  let liveCheckReady: Promise<LiveCheck | undefined> = Promise.resolve(undefined);
  try {
    // Prepared while the cluster comes up: the check's thread takes a moment to build.
    liveCheckReady = spec.liveCheck
      ? LiveCheck.start(workload.checkers, {
          everyMs: LIVE_CHECK_EVERY_MS,
          budget: {
            timeLimitMs: Math.min(spec.checkTimeLimitMs, LIVE_CHECK_BUDGET.timeLimitMs),
            memoryLimitMb: Math.min(spec.checkMemoryLimitMb, LIVE_CHECK_BUDGET.memoryLimitMb),
          },
          nowMs: () => clock?.elapsedMs() ?? 0,
          onViolation: (v) => {
            if (!spec.stopOnViolation || phase !== "main") return;
            stoppedOnViolation = v;
            violated.abort();
          },
        })
      : Promise.resolve(undefined);
    liveCheckReady.catch(() => undefined);
    const clusterSpec = await target.clusterSpec({ nodes: spec.nodes, variant: spec.variant });
    if (interrupted.aborted) throw new Interrupted();
    if (input.clusterId) input.onCluster?.({ state: "starting", id: input.clusterId });
    // A target meant to survive traitors tells its hosts its value fields and whether
    // messages are authenticated (the hosts drop forgeries then).
    const env = target.byzantine
      ? { ...clusterSpec.env, ...byzantineEnv(target.byzantine) }
      : clusterSpec.env;
    cluster = await input.createCluster({
      ...clusterSpec,
      ...(env ? { env } : {}),
      nodes: spec.nodes,
      ...(input.clusterId ? { id: input.clusterId } : {}),
    });
    input.onCluster?.({ state: "up", id: cluster.id });
    const live = cluster;
    background = await target.background?.(live);
    await unlessInterrupted(target.awaitReady(live, READY_TIMEOUT_MS), interrupted);
    liveCheck = await liveCheckReady;
    const recorder = liveCheck ? liveCheck.tee(input.history) : input.history;
    const check = liveCheck;

    // The run's clock starts with the client ops: op times and the schedule share it.
    clock = new RunClock();
    const runClock = clock;
    nemesis = new Nemesis(live, target, recorder, clock);
    const nem = nemesis;
    progress = new Progress(
      {
        elapsedMs: () => runClock.elapsedMs(),
        totalMs: spec.timeLimitSeconds * 1000,
        faults: () => nem.activeFaults().map((f) => f.label),
        phase: () => phase,
        check: check ? () => check.status() : undefined,
      },
      { stream: input.progressStream },
    );
    pool = new WorkerPool({
      concurrency: spec.concurrency,
      nodes: live.nodes,
      openClient: (node) =>
        target.client(live, node, workload.messages, {
          nodes: spec.nodes,
          variant: spec.variant,
        }),
      recorder,
      clock,
      rng: plan.rng,
      timeoutMs: spec.timeoutMs,
      onComplete: progress.record,
    });
    progress.start();

    await pool.run(plan.setup, interrupted);
    phase = "main";
    liveCheck?.run();
    const countSent = target.sentMessages?.bind(target);
    if (countSent) {
      meter = new MessageMeter(
        (node) => countSent(live, node),
        live.nodes.map((n) => n.name),
      );
      await meter.start();
    }
    // If either side fails, the other is stopped too before the error is handled.
    const failed = new AbortController();
    const stopMain = AbortSignal.any([interrupted, failed.signal, violated.signal]);
    // Every worker waits on these signals at once: more listeners than Node's default 10.
    setMaxListeners(0, stopMain, interrupted);
    const settled = await Promise.allSettled(
      [
        pool.run(
          plan.main,
          stopMain,
          spec.rate > 0 ? new Pacer(spec.rate, runClock.elapsedMs()) : undefined,
        ),
        nemesis.run(plan.schedule, stopMain),
      ].map((p) => p.catch((err) => (failed.abort(), Promise.reject(err)))),
    );
    for (const s of settled) if (s.status === "rejected") throw s.reason;
    messages = await meter?.stop();

    if (!interrupted.aborted) {
      phase = "heal";
      await nemesis.healAll();
    }
    // Stopped on a violation: store it now; settling and final ops cannot undo the verdict.
    if (!interrupted.aborted && !violated.signal.aborted) {
      phase = "settle";
      await sleep(spec.settleSeconds * 1000, interrupted);
      await unlessInterrupted(
        target.awaitReady(live, RECOVER_TIMEOUT_MS).catch(() => undefined),
        interrupted,
      );
      phase = "final";
      if (!interrupted.aborted) await pool.run(plan.final, interrupted, undefined, true);
    }
  } catch (err) {
    if (!(err instanceof Interrupted)) error = err;
  } finally {
    phase = "teardown";
    progress?.stop();
    meter?.cancel();
    // A run that failed before the cluster was ready still started the check's thread.
    liveCheck ??= await liveCheckReady.catch(() => undefined);
    await liveCheck?.stop().catch(() => undefined);
    await pool?.close().catch(() => undefined);
    await nemesis?.healAll().catch(() => undefined);
    await background?.stop().catch(() => undefined);
    if (cluster) {
      const { id } = cluster;
      await collectLogs(cluster, target, input.dir);
      await cluster.teardown().then(
        () => input.onCluster?.({ state: "down", id }),
        (err) => input.onCluster?.({ state: "left", id, error: err }),
      );
    } else if (input.clusterId) {
      // Never created, or createCluster failed and removed what it had made.
      input.onCluster?.({ state: "down", id: input.clusterId });
    }
    await input.history.close();
  }
  return {
    clusterId: cluster?.id,
    error,
    incomplete: interrupted.aborted,
    stoppedOnViolation,
    liveCheck: liveCheck?.stats,
    messages,
  };
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

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
