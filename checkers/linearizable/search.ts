// The linearizability search for one partition: a depth-first search in the Wing-Gong / Lowe
// family. Events (invocations and ok completions) sit in a linked list in history order. Walking
// it, we try to linearize each invoked op (apply it to the model); a completion reached while
// its op is still unlinearized means the current order is a dead end, so we undo the last
// choice and try the next op. Info ops have no completion event: they may be linearized at any
// point after their invocation, or never.
//
// Memoization: a configuration is (set of ok ops linearized, model state, set of info ops
// linearized). If we have already explored the same ok set and state with FEWER info ops used
// (a subset), the new configuration has fewer options and cannot succeed either: prune it.
import { INCONSISTENT, type Model, type ModelOp } from "./models/model.ts";
import type { Budget } from "./budget.ts";

export interface SearchOp {
  op: ModelOp;
  /** An ok op must be linearized before its completion; an info op may be left out. */
  ok: boolean;
  /** Positions in the history of the invocation and (ok ops only) the completion. */
  callPos: number;
  retPos: number;
}

/** One step of a linearization: the op (index into the ops array) and the state after it. */
export interface LinearizationStep {
  op: number;
  state: unknown;
  parent: LinearizationStep | undefined;
}

export type SearchOutcome =
  | { valid: true; explored: number }
  | { valid: "unknown"; reason: string; explored: number }
  | {
      valid: false;
      explored: number;
      /** The op whose completion was reached, furthest into the history, without a way to linearize it. */
      failedOp: number;
      /** The linearization in force at that moment (last step first, via parent links). */
      prefix: LinearizationStep | undefined;
    };

interface MemoEntry {
  ok: Uint32Array;
  info: Uint32Array | undefined;
}

/** Deterministic 32-bit random numbers for Zobrist hashing of the linearized set. */
function zobristTable(n: number): Int32Array {
  const t = new Int32Array(n);
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < n; i++) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    t[i] = x;
  }
  return t;
}

function equalBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True if every bit of `small` is set in `big` (an absent set is empty). */
function subsetBits(small: Uint32Array | undefined, big: Uint32Array): boolean {
  if (small === undefined) return true;
  for (let i = 0; i < small.length; i++) if ((small[i] & ~big[i]) !== 0) return false;
  return true;
}

function isEmpty(bits: Uint32Array): boolean {
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) return false;
  return true;
}

/** Searches for a linearization of `ops` (sorted by callPos) from `init`. */
export function searchLinearization<S>(
  model: Model<S>,
  init: S,
  ops: SearchOp[],
  budget: Budget,
): SearchOutcome {
  const n = ops.length;
  // Events: 2 per ok op, 1 per info op; node ids 0..E-1, then head and tail sentinels.
  const events: { pos: number; op: number; call: boolean }[] = [];
  let okCount = 0;
  for (let i = 0; i < n; i++) {
    events.push({ pos: ops[i].callPos, op: i, call: true });
    if (ops[i].ok) {
      events.push({ pos: ops[i].retPos, op: i, call: false });
      okCount++;
    }
  }
  if (okCount === 0) return { valid: true, explored: 0 };
  events.sort((a, b) => a.pos - b.pos);
  const E = events.length;
  const HEAD = E;
  const TAIL = E + 1;
  const next = new Int32Array(E + 2);
  const prev = new Int32Array(E + 2);
  const evOp = new Int32Array(E);
  const evCall = new Uint8Array(E);
  const callNode = new Int32Array(n);
  const retNode = new Int32Array(n).fill(-1);
  for (let e = 0; e < E; e++) {
    evOp[e] = events[e].op;
    evCall[e] = events[e].call ? 1 : 0;
    if (events[e].call) callNode[events[e].op] = e;
    else retNode[events[e].op] = e;
    next[e] = e + 1 === E ? TAIL : e + 1;
    prev[e] = e === 0 ? HEAD : e - 1;
  }
  next[HEAD] = 0;
  prev[TAIL] = E - 1;
  events.length = 0;

  const unlink = (e: number) => {
    next[prev[e]] = next[e];
    prev[next[e]] = prev[e];
  };
  const relink = (e: number) => {
    next[prev[e]] = e;
    prev[next[e]] = e;
  };
  const lift = (i: number) => {
    unlink(callNode[i]);
    if (retNode[i] >= 0) unlink(retNode[i]);
  };
  const unlift = (i: number) => {
    if (retNode[i] >= 0) relink(retNode[i]);
    relink(callNode[i]);
  };

  const words = (n + 31) >>> 5;
  const okBits = new Uint32Array(words);
  const infoBits = new Uint32Array(words);
  const zobrist = zobristTable(n);
  let hash = 0;
  const memo = new Map<unknown, Map<number, MemoEntry[]>>();
  const entryBytes = 2 * (words * 4 + 64) + 48;
  const isOk = new Uint8Array(n);
  for (let i = 0; i < n; i++) isOk[i] = ops[i].ok ? 1 : 0;

  // Remember a configuration; false if it (or one dominating it) was seen before.
  const remember = (stateKey: unknown): boolean => {
    let byHash = memo.get(stateKey);
    if (byHash === undefined) {
      byHash = new Map();
      memo.set(stateKey, byHash);
    }
    let list = byHash.get(hash);
    if (list === undefined) {
      list = [];
      byHash.set(hash, list);
    } else {
      for (const m of list)
        if (equalBits(m.ok, okBits) && subsetBits(m.info, infoBits)) return false;
    }
    list.push({ ok: okBits.slice(), info: isEmpty(infoBits) ? undefined : infoBits.slice() });
    budget.memoBytes += entryBytes;
    return true;
  };

  let state = init;
  let top: LinearizationStep | undefined;
  const stackStates: S[] = [];
  const stackOps: number[] = [];
  let remainingOk = okCount;
  let explored = 0;
  let bestPos = -1;
  let bestOp = -1;
  let bestPrefix: LinearizationStep | undefined;

  remember(model.key(init));
  let entry = next[HEAD];
  for (;;) {
    if ((++explored & 0xfff) === 0) {
      const over = budget.exceeded();
      if (over) return { valid: "unknown", reason: over, explored };
    }
    if (entry === TAIL || remainingOk === 0) return { valid: true, explored };
    const i = evOp[entry];
    if (evCall[entry] === 1) {
      const after = model.step(state, ops[i].op);
      if (after !== INCONSISTENT) {
        const w = i >>> 5;
        const bit = 1 << (i & 31);
        if (isOk[i]) {
          okBits[w] |= bit;
          hash ^= zobrist[i];
        } else infoBits[w] |= bit;
        if (remember(model.key(after as S))) {
          stackOps.push(i);
          stackStates.push(state);
          top = { op: i, state: after, parent: top };
          state = after as S;
          if (isOk[i]) remainingOk--;
          lift(i);
          entry = next[HEAD];
          continue;
        }
        if (isOk[i]) {
          okBits[w] &= ~bit;
          hash ^= zobrist[i];
        } else infoBits[w] &= ~bit;
      }
      entry = next[entry];
      continue;
    }
    // The completion of an op not yet linearized: this order cannot work.
    if (ops[i].retPos > bestPos) {
      bestPos = ops[i].retPos;
      bestOp = i;
      bestPrefix = top;
    }
    if (stackOps.length === 0) {
      return { valid: false, explored, failedOp: bestOp, prefix: bestPrefix };
    }
    const j = stackOps.pop()!;
    state = stackStates.pop()!;
    top = top!.parent;
    const w = j >>> 5;
    const bit = 1 << (j & 31);
    if (isOk[j]) {
      okBits[w] &= ~bit;
      hash ^= zobrist[j];
      remainingOk++;
    } else infoBits[w] &= ~bit;
    unlift(j);
    entry = next[callNode[j]];
  }
}
