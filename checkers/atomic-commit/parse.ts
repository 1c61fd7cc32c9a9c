// From a history to what the atomic-commit checker reasons about (docs/atomic-commit.md):
// - transactions: each `txn` op's id, votes (whose keys are its participants), the client's
//   outcome (ok -> commit, fail -> abort, info or never completed -> unknown) and its span on
//   the run clock;
// - states reports: each ok `states` op, i.e. one node's transitions for every transaction it
//   knows, with the offset that maps that node's wall clock onto the run clock for this reply,
//   and (a coordinator's, optional) why it aborted each transaction it aborted (`aborts`).
// Ops that break the contract's shape are collected as `malformed`, never guessed at.
import type { Op } from "../../histories/op.ts";
import { pairHistory } from "../../histories/pair.ts";
import { isMarkedFinal, readerOf } from "../final-reads.ts";

/** Nanoseconds of the history's clock per millisecond. */
const NS_PER_MS = 1_000_000;

export type Decision = "commit" | "abort";
export type Outcome = Decision | "unknown";

export interface Txn {
  id: string;
  votes: Record<string, boolean>;
  /** The keys of `votes`, sorted. */
  participants: string[];
  outcome: Outcome;
  /** The completion's error, if any (`"abort"`, `"timeout"`, ...). */
  error?: unknown;
  /** Op index of the invocation. */
  invokeIndex: number;
  /** Invocation and completion on the run clock, ms; null when it never completed. */
  invokeMs: number;
  completeMs: number | null;
}

/** One transition as a node reports it: a state and the node's wall-clock ms. */
export type Transition = readonly [state: string, wallMs: number];

/** Why a coordinator aborted a transaction, as its states reply says (`aborts`, optional):
 *  - "timeout": its WAIT ran out with the votes of `missing` not in; `timeoutMs` is its timeout;
 *  - "vote-abort": participant `from` voted abort;
 *  - "recovered": a restart found the transaction in WAIT (undecided), so it aborted it;
 *  any other cause is kept as said and excuses nothing. */
export interface AbortCause {
  cause: string;
  missing?: string[];
  timeoutMs?: number;
  from?: string;
}

export interface StatesReport {
  node: string;
  role?: string;
  /** Op index of the completion. */
  index: number;
  /** Completion on the run clock, ms. */
  atMs: number;
  /** Run-clock ms minus the node's wall-clock ms, for this reply: wall + offset = run. */
  offsetMs: number;
  /** A final-phase report (after every fault was healed). */
  final: boolean;
  txns: Record<string, Transition[]>;
  /** Why the node aborted what it aborted, by transaction id; absent in reports without it. */
  aborts?: Record<string, AbortCause>;
}

export interface Malformed {
  /** Op index (the completion's for a reply, the invocation's for a request). */
  op: number;
  why: string;
}

export interface ParsedHistory {
  /** By id, in order of invocation. */
  txns: Map<string, Txn>;
  /** Ids of txn ops that reuse an id an earlier txn op had. */
  duplicateIds: string[];
  /** Ok states reports in order of completion. */
  reports: StatesReport[];
  malformed: Malformed[];
  /** The last op's time on the run clock, ms: where blocks that never ended stop. */
  endMs: number;
}

export function decisionOf(state: string): Decision | undefined {
  return state === "COMMIT" ? "commit" : state === "ABORT" ? "abort" : undefined;
}

export function parseHistory(history: Op[]): ParsedHistory {
  const txns = new Map<string, Txn>();
  const duplicateIds: string[] = [];
  const reports: StatesReport[] = [];
  const malformed: Malformed[] = [];
  let endNs = 0;
  for (const op of history) if (op.time > endNs) endNs = op.time;

  for (const p of pairHistory(history)) {
    if (p.f === "txn") {
      const txn = parseTxn(p.invoke, p.type, p.completion);
      if (typeof txn === "string") malformed.push({ op: p.invoke.index, why: txn });
      else if (txns.has(txn.id)) duplicateIds.push(txn.id);
      else txns.set(txn.id, txn);
    } else if (p.f === "states" && p.type === "ok" && p.completion) {
      const report = parseReport(p.completion, readerOf(p), isMarkedFinal(p.invoke));
      if (typeof report === "string") malformed.push({ op: p.completion.index, why: report });
      else reports.push(report);
    }
  }
  reports.sort((a, b) => a.index - b.index);
  return { txns, duplicateIds, reports, malformed, endMs: endNs / NS_PER_MS };
}

function parseTxn(invoke: Op, type: "ok" | "fail" | "info", completion?: Op): Txn | string {
  const v = invoke.value as { id?: unknown; votes?: unknown } | undefined;
  if (!v || typeof v !== "object" || typeof v.id !== "string")
    return "a txn invocation without a string id";
  const votes = v.votes as Record<string, unknown> | undefined;
  if (!votes || typeof votes !== "object" || Array.isArray(votes))
    return `txn ${v.id} has no votes object`;
  if (!Object.values(votes).every((b) => typeof b === "boolean"))
    return `txn ${v.id} has a vote that is not true or false`;
  const outcome: Outcome = type === "ok" ? "commit" : type === "fail" ? "abort" : "unknown";
  const txn: Txn = {
    id: v.id,
    votes: votes as Record<string, boolean>,
    participants: Object.keys(votes).sort(),
    outcome,
    invokeIndex: invoke.index,
    invokeMs: invoke.time / NS_PER_MS,
    completeMs: completion && type !== "info" ? completion.time / NS_PER_MS : null,
  };
  if (completion?.error !== undefined) txn.error = completion.error;
  return txn;
}

function parseReport(completion: Op, node: string, invokedFinal: boolean): StatesReport | string {
  const v = completion.value as
    { role?: unknown; now?: unknown; txns?: unknown; aborts?: unknown } | undefined;
  if (!v || typeof v !== "object") return `states reply from ${node} has no value`;
  if (typeof v.now !== "number" || !Number.isFinite(v.now))
    return `states reply from ${node} has no numeric "now"`;
  if (!v.txns || typeof v.txns !== "object" || Array.isArray(v.txns))
    return `states reply from ${node} has no "txns" object`;
  const txns = v.txns as Record<string, unknown>;
  for (const id in txns)
    if (!isTransitions(txns[id]))
      return `states reply from ${node}: txn ${id} is not a list of [state, ms]`;
  const atMs = completion.time / NS_PER_MS;
  const report: StatesReport = {
    node,
    index: completion.index,
    atMs,
    offsetMs: atMs - v.now,
    final: invokedFinal || isMarkedFinal(completion),
    txns: txns as Record<string, Transition[]>,
  };
  if (typeof v.role === "string") report.role = v.role;
  if (v.aborts !== undefined) {
    const aborts = parseAborts(v.aborts);
    if (typeof aborts === "string") return `states reply from ${node}: ${aborts}`;
    report.aborts = aborts;
  }
  return report;
}

/** The optional `aborts` of a states reply: { txn: {cause, missing?, timeoutMs?, from?} }. */
function parseAborts(aborts: unknown): Record<string, AbortCause> | string {
  if (!aborts || typeof aborts !== "object" || Array.isArray(aborts))
    return `"aborts" is not an object`;
  const out: Record<string, AbortCause> = {};
  for (const [id, raw] of Object.entries(aborts as Record<string, unknown>)) {
    const a = raw as { cause?: unknown; missing?: unknown; timeoutMs?: unknown; from?: unknown };
    const bad = `the abort cause of txn ${id} is not {cause, missing?, timeoutMs?, from?}`;
    if (!a || typeof a !== "object" || typeof a.cause !== "string") return bad;
    const cause: AbortCause = { cause: a.cause };
    if (a.missing !== undefined) {
      if (!Array.isArray(a.missing) || !a.missing.every((n) => typeof n === "string")) return bad;
      cause.missing = a.missing as string[];
    }
    if (a.timeoutMs !== undefined) {
      if (typeof a.timeoutMs !== "number" || !Number.isFinite(a.timeoutMs)) return bad;
      cause.timeoutMs = a.timeoutMs;
    }
    if (a.from !== undefined) {
      if (typeof a.from !== "string") return bad;
      cause.from = a.from;
    }
    out[id] = cause;
  }
  return out;
}

function isTransitions(ts: unknown): boolean {
  if (!Array.isArray(ts)) return false;
  for (const t of ts)
    if (!Array.isArray(t) || typeof t[0] !== "string" || !Number.isFinite(t[1])) return false;
  return true;
}
