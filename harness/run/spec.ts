// The parameters of one run, as the CLI (or a test) gives them, with their defaults and checks.
import { UserError } from "../../core/errors.ts";
import type { FaultKind, NemesisEvent } from "../../nemesis/schedule.ts";

export interface RunSpec {
  target: string;
  variant?: string;
  nodes: number;
  workload: string;
  nemesis: FaultKind[];
  /** Traitors of each `byzantine` fault (--byzantine); default: the target's tolerance. */
  byzantine?: number;
  /** Seconds a fault lasts, and between faults. */
  nemesisIntervalSeconds: number;
  /** Seconds of the main phase (client ops under faults). */
  timeLimitSeconds: number;
  concurrency: number;
  seed: number;
  /** Total client ops per second across workers; 0 = as fast as the clients go. */
  rate: number;
  /** Client timeout per op, ms; past it the op is `info`. */
  timeoutMs: number;
  /** Seconds to let the cluster recover after the final heal, before the final reads. */
  settleSeconds: number;
  /** Root folder of the store. */
  store: string;
  /** Budget of the checker. */
  checkTimeLimitMs: number;
  checkMemoryLimitMb: number;
  /** Check the history while the run goes on (prefix-closed checkers, every few seconds). */
  liveCheck: boolean;
  /** End the main phase at the live check's first violation (then heal and store). */
  stopOnViolation: boolean;
  /** A --bin run: what program ran (stored in test.json; see targets/bin). */
  program?: Record<string, unknown>;
  /** The fault schedule to carry out instead of planning one from the seed: a stored run's
   *  faults, pinned to the nodes they hit (`faultline replay`, `faultline shrink`). */
  schedule?: NemesisEvent[];
  /** How many keys the workload uses, where it has keys (lin-kv; default its own, 3). */
  keys?: number;
  /** The run folder this run replays (`faultline replay`), stored in test.json. */
  replayOf?: string;
  /** The run folder this run is a smaller version of (`faultline shrink`). */
  shrunkFrom?: string;
}

export const RUN_DEFAULTS = {
  nodes: 5,
  workload: "lin-kv",
  nemesisIntervalSeconds: 5,
  timeLimitSeconds: 60,
  concurrency: 10,
  rate: 100,
  timeoutMs: 1000,
  settleSeconds: 5,
  store: "store",
  checkTimeLimitMs: 60_000,
  checkMemoryLimitMb: 1024,
  liveCheck: true,
  stopOnViolation: false,
} as const;

/** Throw a UserError naming the first bad parameter. */
export function validateSpec(spec: RunSpec): void {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1)
      throw new UserError(`--${name} must be a whole number of at least 1, got ${v}.`);
  };
  const nonNegative = (name: string, v: number) => {
    if (!Number.isFinite(v) || v < 0)
      throw new UserError(`--${name} must be a number of at least 0, got ${v}.`);
  };
  positiveInt("nodes", spec.nodes);
  positiveInt("concurrency", spec.concurrency);
  positiveInt("timeout-ms", spec.timeoutMs);
  if (spec.keys !== undefined) positiveInt("keys", spec.keys);
  nonNegative("time-limit", spec.timeLimitSeconds);
  nonNegative("rate", spec.rate);
  nonNegative("settle", spec.settleSeconds);
  if (!(spec.nemesisIntervalSeconds > 0))
    throw new UserError(
      `--nemesis-interval must be a number of seconds above 0, got ${spec.nemesisIntervalSeconds}.`,
    );
  if (!Number.isSafeInteger(spec.seed))
    throw new UserError(`--seed must be a whole number, got ${spec.seed}.`);
}
