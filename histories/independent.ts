// Jepsen's independent histories: a test that runs one register (or any workload) per key
// writes each client op's value as a `[key value]` tuple (`:f :read, :value [3 nil]`,
// `:f :write, :value [3 7]`, `:f :cas, :value [3 [7 8]]`), and checks each key's ops as a
// history of its own. Checked as whole values they give wrong verdicts (a write of [3 7] and a
// read of [4 7] are not the same register). Here such a history's ops get `key` and the inner
// value, and the checkers split by key as they do for our own keyed histories.
import type { Op } from "./op.ts";

/** Client functions whose values are plain (not a tuple) in a history that is not split. */
const PAIR_VALUED = new Set(["cas"]);

/**
 * If every client op of `ops` carries a `[key value]` tuple (and a cas a `[key [from to]]`),
 * rewrite each as `key` (as text) and `value` (the inner one), in place, and return how many
 * keys there are; otherwise change nothing and return 0.
 *
 * A plain cas-register history is not mistaken for one: its reads invoke with nil and its
 * writes carry a bare value, and a cas's `[from to]` has no tuple inside.
 */
export function splitIndependent(ops: Op[]): number {
  const keys = new Set<string>();
  let clientOps = 0;
  for (const op of ops) {
    if (op.process === "nemesis") continue;
    clientOps++;
    if (op.key !== undefined || !isTuple(op.value)) return 0;
    if (PAIR_VALUED.has(op.f) && !isPair(op.value[1])) return 0;
    keys.add(keyText(op.value[0]));
  }
  if (clientOps === 0) return 0;
  for (const op of ops) {
    if (op.process === "nemesis") continue;
    const [key, value] = op.value as [unknown, unknown];
    op.key = keyText(key);
    op.value = value;
  }
  return keys.size;
}

function isTuple(v: unknown): v is [unknown, unknown] {
  return Array.isArray(v) && v.length === 2 && isKey(v[0]);
}

function isPair(v: unknown): boolean {
  return Array.isArray(v) && v.length === 2;
}

/** Keys are numbers, strings or keywords (read as strings), never nil or collections. */
function isKey(k: unknown): boolean {
  return typeof k === "number" || typeof k === "string" || typeof k === "bigint";
}

function keyText(k: unknown): string {
  return String(k);
}
