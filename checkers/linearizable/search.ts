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
//
// Order of trying candidates: two complete searches that differ only in order run in turns,
// with growing step allowances, and the first to finish decides. "history order" tries ops in
// order of invocation (info ops early, which suits histories whose info ops did take effect);
// "ok first" tries every ok op before any info op (which suits info ops that never took
// effect). Models whose states never coincide (appends of unique strings) can make either one
// exponential on its own.
import { INCONSISTENT, type Model, type ModelOp } from "./models/model.ts";
import type { Budget } from "./budget.ts";

/** An op to linearize: what the model sees, plus its place in real time. */
export interface SearchOp extends ModelOp {
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

/** Bitsets of remembered configurations, packed one after another in one growing array (a
 *  typed array per configuration would cost a separate allocation each). */
class BitsetArena {
  private data = new Uint32Array(1024);
  private used = 0;

  constructor(private readonly words: number) {}

  /** Copies `bits` in; returns where it is. */
  store(bits: Uint32Array): number {
    if (this.used + this.words > this.data.length) {
      const bigger = new Uint32Array(Math.max(this.data.length * 2, this.used + this.words));
      bigger.set(this.data.subarray(0, this.used));
      this.data = bigger;
    }
    const at = this.used;
    this.data.set(bits, at);
    this.used += this.words;
    return at;
  }

  equals(at: number, bits: Uint32Array): boolean {
    const d = this.data;
    for (let i = 0; i < this.words; i++) if (d[at + i] !== bits[i]) return false;
    return true;
  }

  /** True if every bit stored at `at` is set in `bits`; -1 stands for the empty set. */
  subsetOf(at: number, bits: Uint32Array): boolean {
    if (at < 0) return true;
    const d = this.data;
    for (let i = 0; i < this.words; i++) if ((d[at + i] & ~bits[i]) !== 0) return false;
    return true;
  }
}

function isEmpty(bits: Uint32Array): boolean {
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) return false;
  return true;
}

type Order = "history" | "ok-first";

/** One depth-first search over `ops` (sorted by callPos), run a slice at a time. */
class Search<S> {
  private readonly n: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly evOp: Int32Array;
  private readonly evCall: Uint8Array;
  private readonly callNode: Int32Array;
  private readonly retNode: Int32Array;
  private readonly HEAD: number;
  private readonly TAIL: number;
  private readonly isOk: Uint8Array;
  private readonly okBits: Uint32Array;
  private readonly infoBits: Uint32Array;
  private readonly zobrist: Int32Array;
  /** state key -> Zobrist hash of the ok set -> [ok bits, info bits (-1: none)] positions. */
  private readonly memo = new Map<unknown, Map<number, number[]>>();
  private readonly arena: BitsetArena;
  private readonly entryBytes: number;
  private readonly okCount: number;

  private hash = 0;
  private state: S;
  private top: LinearizationStep | undefined;
  private readonly stackStates: S[] = [];
  private readonly stackOps: number[] = [];
  private readonly stackRounds: boolean[] = [];
  /** In "ok-first" order: false while trying ok ops, true while trying info ops. */
  private infoRound = false;
  private remainingOk: number;
  private entry: number;
  explored = 0;
  private bestPos = -1;
  private bestOp = -1;
  private bestPrefix: LinearizationStep | undefined;
  memoBytes = 0;

  constructor(
    private readonly model: Model<S>,
    init: S,
    private readonly ops: SearchOp[],
    private readonly order: Order,
  ) {
    const n = (this.n = ops.length);
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
    events.sort((a, b) => a.pos - b.pos);
    const E = events.length;
    this.HEAD = E;
    this.TAIL = E + 1;
    this.next = new Int32Array(E + 2);
    this.prev = new Int32Array(E + 2);
    this.evOp = new Int32Array(E);
    this.evCall = new Uint8Array(E);
    this.callNode = new Int32Array(n);
    this.retNode = new Int32Array(n).fill(-1);
    for (let e = 0; e < E; e++) {
      this.evOp[e] = events[e].op;
      this.evCall[e] = events[e].call ? 1 : 0;
      if (events[e].call) this.callNode[events[e].op] = e;
      else this.retNode[events[e].op] = e;
      this.next[e] = e + 1 === E ? this.TAIL : e + 1;
      this.prev[e] = e === 0 ? this.HEAD : e - 1;
    }
    this.next[this.HEAD] = E === 0 ? this.TAIL : 0;
    this.prev[this.TAIL] = E === 0 ? this.HEAD : E - 1;
    const words = (n + 31) >>> 5;
    this.okBits = new Uint32Array(words);
    this.infoBits = new Uint32Array(words);
    this.zobrist = zobristTable(n);
    this.arena = new BitsetArena(words);
    this.entryBytes = 2 * words * 4 + 24;
    this.isOk = new Uint8Array(n);
    for (let i = 0; i < n; i++) this.isOk[i] = ops[i].ok ? 1 : 0;
    this.okCount = this.remainingOk = okCount;
    this.state = init;
    this.remember(model.key(init));
    this.entry = this.next[this.HEAD];
  }

  private lift(i: number): void {
    const { next, prev } = this;
    for (const e of [this.callNode[i], this.retNode[i]]) {
      if (e < 0) continue;
      next[prev[e]] = next[e];
      prev[next[e]] = prev[e];
    }
  }

  private unlift(i: number): void {
    const { next, prev } = this;
    for (const e of [this.retNode[i], this.callNode[i]]) {
      if (e < 0) continue;
      next[prev[e]] = e;
      prev[next[e]] = e;
    }
  }

  /** Remember a configuration; false if it (or one dominating it) was seen before. */
  private remember(stateKey: unknown): boolean {
    let byHash = this.memo.get(stateKey);
    if (byHash === undefined) {
      byHash = new Map();
      this.memo.set(stateKey, byHash);
    }
    let list = byHash.get(this.hash);
    if (list === undefined) {
      list = [];
      byHash.set(this.hash, list);
    } else {
      const arena = this.arena;
      for (let k = 0; k < list.length; k += 2) {
        if (arena.equals(list[k], this.okBits) && arena.subsetOf(list[k + 1], this.infoBits)) {
          return false;
        }
      }
    }
    list.push(
      this.arena.store(this.okBits),
      isEmpty(this.infoBits) ? -1 : this.arena.store(this.infoBits),
    );
    this.memoBytes += this.entryBytes;
    return true;
  }

  private flip(i: number): void {
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    if (this.isOk[i]) {
      this.okBits[w] ^= bit;
      this.hash ^= this.zobrist[i];
    } else this.infoBits[w] ^= bit;
  }

  /** Runs up to `steps` steps; the outcome, or undefined if not finished yet. */
  run(steps: number): SearchOutcome | undefined {
    if (this.okCount === 0) return { valid: true, explored: 0 };
    const { next, evOp, evCall, isOk, ops, model, HEAD, TAIL } = this;
    const rounds = this.order === "ok-first";
    let entry = this.entry;
    try {
      for (let step = 0; step < steps; step++) {
        this.explored++;
        if (entry === TAIL || this.remainingOk === 0)
          return { valid: true, explored: this.explored };
        const i = evOp[entry];
        if (evCall[entry] === 1) {
          if (rounds && isOk[i] === (this.infoRound ? 1 : 0)) {
            entry = next[entry];
            continue;
          }
          const after = model.step(this.state, ops[i]);
          if (after !== INCONSISTENT) {
            this.flip(i);
            if (this.remember(model.key(after as S))) {
              this.stackOps.push(i);
              this.stackRounds.push(this.infoRound);
              this.stackStates.push(this.state);
              this.infoRound = false;
              this.top = { op: i, state: after, parent: this.top };
              this.state = after as S;
              if (isOk[i]) this.remainingOk--;
              this.lift(i);
              entry = next[HEAD];
              continue;
            }
            this.flip(i);
          }
          entry = next[entry];
          continue;
        }
        // The completion of an op not yet linearized: nothing tried so far can go next.
        if (!this.infoRound && ops[i].retPos > this.bestPos) {
          this.bestPos = ops[i].retPos;
          this.bestOp = i;
          this.bestPrefix = this.top;
        }
        if (rounds && !this.infoRound) {
          this.infoRound = true; // now try the info ops
          entry = next[HEAD];
          continue;
        }
        // This order cannot work: undo the last choice and try what comes after it.
        if (this.stackOps.length === 0) {
          return {
            valid: false,
            explored: this.explored,
            failedOp: this.bestOp,
            prefix: this.bestPrefix,
          };
        }
        const j = this.stackOps.pop()!;
        this.infoRound = this.stackRounds.pop()!;
        this.state = this.stackStates.pop()!;
        this.top = this.top!.parent;
        this.flip(j);
        if (isOk[j]) this.remainingOk++;
        this.unlift(j);
        entry = next[this.callNode[j]];
      }
      return undefined;
    } finally {
      this.entry = entry;
    }
  }
}

/** Searches for a linearization of `ops` from `init`, within `budget`. */
export function searchLinearization<S>(
  model: Model<S>,
  init: S,
  ops: SearchOp[],
  budget: Budget,
): SearchOutcome {
  const searches = [
    new Search(model, init, ops, "ok-first"),
    new Search(model, init, ops, "history"),
  ];
  const base = budget.memoBytes;
  for (let slice = 4096; ; slice = Math.min(slice * 2, 1 << 16)) {
    for (const search of searches) {
      const outcome = search.run(slice);
      if (outcome) {
        outcome.explored = searches[0].explored + searches[1].explored;
        return outcome;
      }
      budget.memoBytes = base + searches[0].memoBytes + searches[1].memoBytes;
      const over = budget.exceeded();
      if (over) {
        return {
          valid: "unknown",
          reason: over,
          explored: searches[0].explored + searches[1].explored,
        };
      }
    }
  }
}
