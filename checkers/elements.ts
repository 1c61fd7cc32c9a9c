// What the checkers of Maelstrom's workloads share about values: ids, echoes, set elements and
// broadcast messages are any JSON, so two are "the same" when their JSON is, whatever the
// order of an object's keys (a node may parse and rebuild an object), and the ops that added
// them are gathered once, by that key.
import { stringifyKeepingBigIntegers } from "../core/big-integers.ts";
import type { PairedOp } from "../histories/pair.ts";

/** A string equal for equal JSON values (object keys sorted); `undefined` has its own key. */
export function jsonKey(value: unknown): string {
  // Numbers and strings (most ids, messages and elements) need no walk.
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "string") return JSON.stringify(value);
  // A bigint (an integer beyond 2^53) is its digits, as a number is: never a string's key.
  if (typeof value === "bigint") return String(value);
  return value === undefined ? "undefined" : stringifyKeepingBigIntegers(sorted(value));
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = sorted((value as Record<string, unknown>)[k]);
  return out;
}

/** Short text for a value in explanation lines. */
export function show(value: unknown, max = 40): string {
  const s = value === undefined ? "(none)" : (JSON.stringify(value) ?? String(value));
  return s.length > max ? s.slice(0, max - 3) + "..." : s;
}

/** The first `n` items: lists in results stay short (their counts are kept beside them). */
export function firstFew<T>(items: T[], n: number): T[] {
  return items.slice(0, Math.max(0, n));
}

/** How many items results name at most (option `maxReported`). */
export function maxReported(options: Record<string, unknown>): number {
  const n = options.maxReported;
  return typeof n === "number" && n >= 0 ? Math.floor(n) : 10;
}

/** One added element (a set element, a broadcast message) and what became of its adds. */
export interface Added {
  key: string;
  value: unknown;
  /** ok if any add of it succeeded, else info if any may have, else fail. */
  status: "ok" | "info" | "fail";
  /** The earliest add that counts (the first ok, else the first info, else the first). */
  op: PairedOp;
  /** Time (ns) and history position of the earliest invocation of an add of it that did not
   *  fail: before then no read can hold it. */
  invokedAt: number;
  invokePos: number;
}

const rank = { ok: 2, info: 1, fail: 0 } as const;

/** Every element added by ops of function `f`, by jsonKey. An element added more than once
 *  (an imported history) counts as added by its best outcome. */
export function collectAdded(paired: PairedOp[], f: string): Map<string, Added> {
  const added = new Map<string, Added>();
  for (const p of paired) {
    if (p.f !== f) continue;
    const value = p.invoke.value;
    const key = jsonKey(value);
    const seen = added.get(key);
    if (!seen) {
      added.set(key, {
        key,
        value,
        status: p.type,
        op: p,
        invokedAt: p.invoke.time,
        invokePos: p.invokePos,
      });
      continue;
    }
    // A failed add never put the element anywhere; the earliest that may have is what counts.
    const onlyFailedSoFar = seen.status === "fail";
    if (rank[p.type] > rank[seen.status]) {
      seen.status = p.type;
      seen.op = p;
    }
    if (p.type !== "fail" && (onlyFailedSoFar || p.invokePos < seen.invokePos)) {
      seen.invokedAt = p.invoke.time;
      seen.invokePos = p.invokePos;
    }
  }
  return added;
}

/** The elements of an ok read of a set-like value, by jsonKey (with repeats), or undefined if
 *  the read's value is not a list (a malformed reply). */
export function readKeys(read: PairedOp): string[] | undefined {
  return Array.isArray(read.value) ? read.value.map(jsonKey) : undefined;
}
