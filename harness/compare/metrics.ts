// The figures `faultline compare` puts side by side, computed from a stored run alone (its
// history, results.json and test.json): the verdict of every checker, availability under each
// fault kind and in quiet periods, latency of ok ops, throughput, messages per ok op and the
// time to recover after each heal. Every definition is in docs/running.md, "Comparing".
import type { Op } from "../../histories/op.ts";
import type { Verdict } from "../../checkers/types.ts";
import { FAULTS } from "../../nemesis/faults/index.ts";

/** The availability bucket of ops invoked while no fault was in effect. */
export const QUIET = "quiet";
/** Recovered: the first window of this length after a heal... */
export const RECOVERY_WINDOW_S = 0.5;
/** ...whose ok completions reach this share of the quiet-period rate has begun. */
export const RECOVERY_SHARE = 0.5;

/** When one fault was in effect: from its start's invocation to its stop's completion. */
export interface FaultSpan {
  kind: string;
  /** Seconds since the run started. */
  from: number;
  to: number;
  /** Whether its stop was recorded (a fault never stopped lasts to the end of the history). */
  healed: boolean;
}

export interface Availability {
  ok: number;
  /** ok + fail + info: every completed client op of the main phase in this bucket. */
  total: number;
}

export interface Recovery {
  kind: string;
  /** When the heal completed, seconds since the run started. */
  healedAt: number;
  /** Seconds from the heal until ok ops complete at half the quiet rate again (recoveryAfter);
   *  null when they did not before the next fault or the end of the main phase. */
  seconds: number | null;
}

/** Everything compare needs of one run. */
export interface RunMetrics {
  /** results.json's verdict (absent when the run stored none: a control process killed). */
  verdict?: Verdict;
  incomplete: boolean;
  /** Each checker's verdict, results.json `results[name].valid`. */
  checkers: Record<string, Verdict>;
  /** By fault kind, and QUIET. */
  availability: Record<string, Availability>;
  /** Latency of every ok op of the main phase, ms, ascending. */
  okLatenciesMs: number[];
  okOps: number;
  /** Length of the main phase: first invocation to last completion of its client ops. */
  mainSeconds: number;
  /** Node-to-node messages sent in the main phase (results.json `messages.sent`), or null
   *  when the target cannot count them. */
  messagesSent: number | null;
  /** ok completions per second while no fault was in effect (the recovery yardstick). */
  quietOkRate: number | null;
  recoveries: Recovery[];
  faults: FaultSpan[];
}

interface ClientOp {
  invokedAt: number;
  completedAt: number;
  type: "ok" | "fail" | "info";
}

const STARTS = new Map(Object.values(FAULTS).map((f) => [f.startF, f]));
const STOPS = new Map(Object.values(FAULTS).map((f) => [f.stopF, f]));

/** Client ops of the main phase (not the final reads), invocation paired with completion
 *  (a process has one op in flight); ops never completed are left out. Times in seconds. */
export function mainOps(history: readonly Op[]): ClientOp[] {
  const open = new Map<number, Op>();
  const ops: ClientOp[] = [];
  for (const op of history) {
    if (op.process === "nemesis") continue;
    if (op.type === "invoke") {
      open.set(op.process, op);
      continue;
    }
    const inv = open.get(op.process);
    if (!inv) continue;
    open.delete(op.process);
    if (inv.final === true) continue;
    ops.push({ invokedAt: inv.time / 1e9, completedAt: op.time / 1e9, type: op.type });
  }
  return ops;
}

/** How many client ops of the main phase completed ok. */
export function okMainOps(history: readonly Op[]): number {
  return mainOps(history).filter((o) => o.type === "ok").length;
}

/** Every fault's span, from the nemesis ops: a start's invocation opens a span of its kind, the
 *  completion of that kind's stop closes the oldest open one. */
export function faultSpans(history: readonly Op[]): FaultSpan[] {
  const open: FaultSpan[] = [];
  const spans: FaultSpan[] = [];
  let last = 0;
  for (const op of history) {
    last = Math.max(last, op.time / 1e9);
    if (op.process !== "nemesis") continue;
    const start = STARTS.get(op.f);
    const stop = STOPS.get(op.f);
    if (op.type === "invoke" && start) {
      open.push({ kind: start.kind, from: op.time / 1e9, to: Infinity, healed: false });
    } else if (op.type !== "invoke" && stop) {
      const i = open.findIndex((s) => s.kind === stop.kind);
      if (i < 0) continue;
      const [span] = open.splice(i, 1);
      spans.push({ ...span!, to: op.time / 1e9, healed: true });
    }
  }
  for (const s of open) spans.push({ ...s, to: last });
  return spans.sort((a, b) => a.from - b.from);
}

/** The p-th percentile (0 < p <= 1) of ascending values, by nearest rank; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export interface StoredRun {
  history: readonly Op[];
  /** results.json, if the run has one. */
  results?: Record<string, unknown>;
}

export function measureRun(run: StoredRun): RunMetrics {
  const ops = mainOps(run.history);
  const faults = faultSpans(run.history);
  const results = run.results ?? {};

  // The main phase: its first invocation to its last completion.
  // Loops, not Math.min(...): a long run has too many ops to spread as arguments.
  let begin = Infinity;
  let end = -Infinity;
  for (const o of ops) {
    begin = Math.min(begin, o.invokedAt);
    end = Math.max(end, o.completedAt);
  }
  const mainSeconds = ops.length > 0 ? Math.max(0, end - begin) : 0;

  const availability: Record<string, Availability> = { [QUIET]: { ok: 0, total: 0 } };
  for (const f of faults) availability[f.kind] ??= { ok: 0, total: 0 };
  for (const op of ops) {
    const during = faults.filter((f) => f.from <= op.invokedAt && op.invokedAt <= f.to);
    const kinds = during.length === 0 ? [QUIET] : [...new Set(during.map((f) => f.kind))];
    for (const k of kinds) {
      availability[k]!.total++;
      if (op.type === "ok") availability[k]!.ok++;
    }
  }

  const ok = ops.filter((o) => o.type === "ok");
  const okLatenciesMs = ok.map((o) => (o.completedAt - o.invokedAt) * 1000).sort((a, b) => a - b);
  const completions = ok.map((o) => o.completedAt).sort((a, b) => a - b);

  // The quiet rate: ok completions while no fault was in effect, per second of such time.
  const quietSeconds = ops.length > 0 ? quietTime(faults, begin, end) : 0;
  const quietOk = completions.filter((t) => !faults.some((f) => f.from <= t && t <= f.to)).length;
  const quietOkRate = quietSeconds > 0 ? quietOk / quietSeconds : null;

  const recoveries: Recovery[] = [];
  for (const f of faults) {
    if (!f.healed || f.to > end) continue; // healed after the main phase: no ops to judge by
    const next = faults.find((g) => g.from > f.to)?.from ?? end;
    recoveries.push({
      kind: f.kind,
      healedAt: f.to,
      seconds:
        quietOkRate === null || quietOkRate === 0
          ? null
          : recoveryAfter(completions, f.to, Math.min(next, end), quietOkRate),
    });
  }

  const checkers: Record<string, Verdict> = {};
  const byChecker = results.results;
  const incomplete = results.incomplete === true;
  // An interrupted run was not checked: its only "checker" says so, and its verdict is none.
  if (byChecker && typeof byChecker === "object" && !incomplete)
    for (const [name, r] of Object.entries(byChecker as Record<string, { valid?: unknown }>))
      if (r && (r.valid === true || r.valid === false || r.valid === "unknown"))
        checkers[name] = r.valid;
  const verdict = results.valid;
  const messages = results.messages as { sent?: unknown } | undefined;

  return {
    ...(verdict === true || verdict === false || verdict === "unknown" ? { verdict } : {}),
    incomplete,
    checkers,
    availability,
    okLatenciesMs,
    okOps: ok.length,
    mainSeconds,
    messagesSent: typeof messages?.sent === "number" ? messages.sent : null,
    quietOkRate,
    recoveries,
    faults,
  };
}

/** Seconds of [begin, end] during which no fault was in effect. */
export function quietTime(faults: readonly FaultSpan[], begin: number, end: number): number {
  let covered = 0;
  let reach = begin;
  for (const f of [...faults].sort((a, b) => a.from - b.from)) {
    const from = Math.max(f.from, reach);
    const to = Math.min(f.to, end);
    if (to > from) covered += to - from;
    reach = Math.max(reach, Math.min(f.to, end));
  }
  return Math.max(0, end - begin - covered);
}

/**
 * Seconds from `healedAt` to the first ok completion of the earliest window of 0.5 s that holds
 * at least `needed` ok completions, where needed = ceil(quietRate x 0.5 x 0.5 s): ok ops are
 * completing again at half the quiet rate or more. Only completions up to `limit` (the next
 * fault's start, or the end of the main phase) count; null when there is no such window.
 * `completions` ascending, seconds.
 */
export function recoveryAfter(
  completions: readonly number[],
  healedAt: number,
  limit: number,
  quietRate: number,
): number | null {
  const needed = Math.max(1, Math.ceil(quietRate * RECOVERY_SHARE * RECOVERY_WINDOW_S));
  const after = completions.filter((t) => t >= healedAt && t <= limit);
  // The earliest window with enough completions can be taken to start at one of them.
  for (let i = 0; i + needed - 1 < after.length; i++)
    if (after[i + needed - 1]! - after[i]! <= RECOVERY_WINDOW_S) return after[i]! - healedAt;
  return null;
}
