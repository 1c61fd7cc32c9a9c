// The plan of one run, derived from the seed alone: the client ops of the main phase, the
// fault schedule on the same clock, and the final phase (heal, settle, read every key).
import { Rng } from "../../core/rng.ts";
import { once, timeLimit, type Gen } from "./gen.ts";
import { planSchedule, type FaultKind, type NemesisEvent } from "../../nemesis/schedule.ts";
import type { Workload } from "../workloads/types.ts";

export interface PlanOptions {
  seed: number;
  workload: Workload;
  faults: readonly FaultKind[];
  nodes: readonly string[];
  nemesisIntervalSeconds: number;
  timeLimitSeconds: number;
  /** Traitors of each `byzantine` fault. */
  traitors?: number;
  /** A schedule to carry out instead of planning one (a replayed run's). */
  schedule?: NemesisEvent[];
}

export interface RunPlan {
  /** The random source of client op values (a stream of its own, apart from the nemesis'). */
  rng: Rng;
  /** Client ops until the time limit. */
  main: Gen;
  /** Every fault start and stop, in time order, all within the time limit. */
  schedule: NemesisEvent[];
  /** Before the main phase, all completed before it starts (may be empty). */
  setup: Gen;
  /** After every fault is healed and the cluster settled: the workload's final ops. */
  final: Gen;
}

export function planRun(opts: PlanOptions): RunPlan {
  return {
    rng: Rng.forStream(opts.seed, "client"),
    main: timeLimit(opts.timeLimitSeconds * 1000, opts.workload.generator()),
    schedule:
      opts.schedule ??
      planSchedule({
        seed: opts.seed,
        kinds: opts.faults,
        nodes: opts.nodes,
        intervalSeconds: opts.nemesisIntervalSeconds,
        timeLimitSeconds: opts.timeLimitSeconds,
        ...(opts.traitors !== undefined ? { traitors: opts.traitors } : {}),
      }),
    setup: opts.workload.setup?.() ?? once([]),
    final: opts.workload.final(),
  };
}
