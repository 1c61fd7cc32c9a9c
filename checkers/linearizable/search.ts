// The linearizability search for one partition: a depth-first search in the Wing-Gong / Lowe
// family. Events (invocations and ok completions) sit in a doubly linked list in history
// order. Walking it, we try to linearize each invoked op (apply it to the model) and take it
// out of the list; a completion reached while its op is still unlinearized means the current
// order is a dead end, so we undo the last choice, put its events back, and try the next op.
// Info ops have no completion event: they may be linearized at any point after their
// invocation, or never.
//
// Forced reads: an ok op that never changes the state (a read), invoked before every
// completion still in the list and accepted in the current state, is linearized at once and
// never tried elsewhere. Any linearization that places it later still works with it moved
// here (it changes nothing, and everything that had to precede it already has), so no
// solution is lost, and the search no longer branches on every subset of the reads that
// could go now: with many concurrent reads that was most of the work.
//
// Reads ruled out early: with a model whose appends only extend the state (Model.growth), a
// read that cannot accept the current state, nor any extension of it, can only succeed if
// an op that replaces the state (a put) may still come before it. If none can, the
// configuration is a dead end at once, rather than at the read's completion after every
// order of the appends in between (each a different state) has been tried.
//
// Memoization (memo.ts): a configuration is (model state, set of ok ops linearized, set of
// info ops linearized); one seen before, or dominated by one seen before, is pruned. States
// are interned as integers (state-table.ts).
//
// Order of trying candidates, when a partition has info ops: two complete searches that
// differ only in order run in turns, with growing step allowances, and the first to finish
// decides. "history order" tries ops in order of invocation (info ops early, which suits
// histories whose info ops did take effect); "ok first" tries every ok op before any info op
// (which suits info ops that never took effect). Without info ops the two are the same, and
// one search runs. Models whose states never coincide (appends of unique strings) can make
// either one exponential on its own.
import type { Growth, Model, ModelOp } from "./models/model.ts";
import { PairMap } from "./pair-map.ts";
import type { Budget } from "./budget.ts";
import { ConfigMemo } from "./memo.ts";
import { StateTable } from "./state-table.ts";
import { INFO, Layout, READ } from "./layout.ts";
import { IntStack, OpSet } from "./int-sets.ts";

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

/** How many of the next reads not yet linearized are checked for being still possible. */
const READS_AHEAD = 4;

type Order = "history" | "ok-first";

/** One depth-first search over `ops` (sorted by callPos), run a slice at a time. */
class Search<S> {
  // From the layout: read only, except the lists, which are this search's own copies.
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly evOp: Int32Array;
  private readonly evCall: Uint8Array;
  private readonly callNode: Int32Array;
  private readonly HEAD: number;
  private readonly TAIL: number;
  private readonly kind: Uint8Array;
  private readonly ord: Int32Array;
  private readonly zobrist: Int32Array;
  private readonly growth: Growth<S> | undefined;
  private readonly isReset: Uint8Array;
  private readonly resetNext: Int32Array;
  private readonly resetPrev: Int32Array;
  private readonly resetState: Int32Array;
  private readonly readNext: Int32Array;
  private readonly readPrev: Int32Array;

  private readonly okSet: OpSet;
  private readonly infoSet: OpSet;
  private readonly memo: ConfigMemo;
  /** (state, read) -> 1 if the read can accept the state or an extension of it, else 0. */
  private readonly extendable: PairMap;

  private hash = 0;
  private stateId: number;
  /** The linearization so far (choices and forced reads, in order), each op with the state
   *  after it. */
  private readonly lin = new IntStack();
  private readonly linState = new IntStack();
  /** Each choice: the op, the state before it, its round, and how many forced reads and
   *  linearized ops there were before it (those after it are undone with it). */
  private readonly choiceOp = new IntStack();
  private readonly choiceState = new IntStack();
  private readonly choiceRound = new IntStack();
  private readonly choiceForced = new IntStack();
  private readonly choiceLin = new IntStack();
  private readonly forced = new IntStack();
  /** In "ok-first" order: false while trying ok ops, true while trying info ops. */
  private infoRound = false;
  /** Forced reads are due: the state or the set of candidates changed. */
  private closeReads = true;
  private remainingOk: number;
  private entry: number;
  explored = 0;
  private bestPos = -1;
  private bestOp = -1;
  /** The linearization when bestOp was found (a copy of `lin`, kept up to date cheaply:
   *  below `lowWater`, the lowest `lin` has been since, the two are the same). */
  private readonly best = new IntStack();
  private readonly bestStates = new IntStack();
  private lowWater = 0;

  constructor(
    private readonly layout: Layout<S>,
    private readonly states: StateTable<S>,
    initId: number,
    private readonly ops: SearchOp[],
    private readonly order: Order,
  ) {
    const l = layout;
    this.next = l.next.slice();
    this.prev = l.prev.slice();
    this.evOp = l.evOp;
    this.evCall = l.evCall;
    this.callNode = l.callNode;
    this.HEAD = l.HEAD;
    this.TAIL = l.TAIL;
    this.kind = l.kind;
    this.ord = l.ord;
    this.zobrist = l.zobrist;
    this.growth = l.growth;
    this.isReset = l.isReset;
    this.resetNext = l.resetNext.slice();
    this.resetPrev = l.resetPrev.slice();
    this.resetState = l.resetState;
    this.readNext = l.readNext.slice();
    this.readPrev = l.readPrev.slice();
    this.extendable = new PairMap(l.growth ? 2 * ops.length : 0);
    this.okSet = new OpSet(l.okCount);
    this.infoSet = new OpSet(l.infoCount);
    this.memo = new ConfigMemo(this.okSet.words, this.infoSet.words);
    this.remainingOk = l.okCount;
    this.stateId = initId;
    this.remember();
    this.entry = this.next[this.HEAD];
  }

  /** Bytes held by this search: memo, caches, stacks, its copies of the lists. */
  bytes(): number {
    const stacks =
      4 * (this.choiceOp.data.length * 5 + this.forced.data.length) +
      8 * (this.lin.data.length + this.best.data.length);
    const lists = 2 * this.next.byteLength + 4 * this.resetNext.byteLength;
    return this.memo.bytes() + this.extendable.bytes() + stacks + lists;
  }

  private lift(i: number): void {
    const { next, prev } = this;
    const c = this.callNode[i];
    next[prev[c]] = next[c];
    prev[next[c]] = prev[c];
    const r = this.layout.retNode[i];
    if (r >= 0) {
      next[prev[r]] = next[r];
      prev[next[r]] = prev[r];
    }
  }

  private unlift(i: number): void {
    const { next, prev } = this;
    const r = this.layout.retNode[i];
    if (r >= 0) {
      next[prev[r]] = r;
      prev[next[r]] = r;
    }
    const c = this.callNode[i];
    next[prev[c]] = c;
    prev[next[c]] = c;
  }

  private include(i: number): void {
    if (this.isReset[i] === 1) {
      this.resetNext[this.resetPrev[i]] = this.resetNext[i];
      this.resetPrev[this.resetNext[i]] = this.resetPrev[i];
    } else if (this.growth && this.kind[i] === READ) {
      this.readNext[this.readPrev[i]] = this.readNext[i];
      this.readPrev[this.readNext[i]] = this.readPrev[i];
    }
    if (this.kind[i] === INFO) this.infoSet.add(this.ord[i]);
    else {
      this.okSet.add(this.ord[i]);
      this.hash ^= this.zobrist[this.ord[i]];
      this.remainingOk--;
    }
  }

  private exclude(i: number): void {
    if (this.isReset[i] === 1) {
      this.resetNext[this.resetPrev[i]] = i;
      this.resetPrev[this.resetNext[i]] = i;
    } else if (this.growth && this.kind[i] === READ) {
      this.readNext[this.readPrev[i]] = i;
      this.readPrev[this.readNext[i]] = i;
    }
    if (this.kind[i] === INFO) this.infoSet.remove(this.ord[i]);
    else {
      this.okSet.remove(this.ord[i]);
      this.hash ^= this.zobrist[this.ord[i]];
      this.remainingOk++;
    }
  }

  /** Records the current configuration; false if it (or one dominating it) was seen. */
  private remember(): boolean {
    const ok = this.okSet;
    const info = this.infoSet;
    const infoLo = info.count === 0 ? 0 : info.firstNonEmpty();
    const infoHi = info.count === 0 ? -1 : info.hi;
    return this.memo.add(this.stateId, this.hash, ok.lo, ok.hi, infoLo, infoHi);
  }

  /** Linearizes every read that is a candidate and accepted in the current state. Returns
   *  a read that can never be linearized from here (see Growth), or -1. */
  private forceReads(): number {
    const { next, prev, evCall, evOp, kind, ops, states, TAIL } = this;
    let e = next[this.HEAD];
    while (e !== TAIL && evCall[e] === 1) {
      const i = evOp[e];
      if (kind[i] === READ && states.step(this.stateId, ops[i], i) >= 0) {
        this.include(i);
        this.lift(i);
        this.forced.push(i);
        this.lin.push(i);
        this.linState.push(this.stateId);
        e = next[prev[e]];
      } else e = next[e];
    }
    if (!this.growth) return -1;
    // The next reads, invoked or not yet: each must still be possible. (Reads further on
    // usually see what the nearest ones see.) Of those that are not, the one that completes
    // first is where the search, walking on, would have been stopped.
    const n = ops.length;
    let doomed = -1;
    for (let r = this.readNext[n], k = 0; r !== n && k < READS_AHEAD; r = this.readNext[r], k++) {
      if (!this.stillPossible(r) && (doomed < 0 || ops[r].retPos < ops[doomed].retPos)) doomed = r;
    }
    return doomed;
  }

  /** Could read `r` still be linearized: in this state or an extension of it, or after an op
   *  not yet linearized, invoked before r completes, that replaces the state? (Past a few
   *  such ops: assume yes rather than look further.) */
  private stillPossible(r: number): boolean {
    if (this.canExtend(this.stateId, r)) return true;
    const { ops, resetNext, resetState } = this;
    const n = ops.length;
    const end = ops[r].retPos;
    let seen = 0;
    for (let p = resetNext[n]; p !== n && ops[p].callPos < end; p = resetNext[p]) {
      if (resetState[p] < 0 || ++seen > 8 || this.canExtend(resetState[p], r)) return true;
    }
    return false;
  }

  private canExtend(stateId: number, r: number): boolean {
    let known = this.extendable.get(stateId, r);
    if (known === PairMap.MISSING) {
      known = this.growth!.canExtendTo(this.states.states[stateId], this.ops[r]) ? 1 : 0;
      this.extendable.set(stateId, r, known);
    }
    return known === 1;
  }

  /** The completion of op `i` was reached (or `i` was ruled out) with `i` not linearized. */
  private noteDeadEnd(i: number): void {
    if (!this.infoRound && this.ops[i].retPos > this.bestPos) {
      this.bestPos = this.ops[i].retPos;
      this.bestOp = i;
      const { lin, linState, best, bestStates } = this;
      best.length = bestStates.length = Math.min(best.length, this.lowWater);
      for (let k = best.length; k < lin.length; k++) {
        best.push(lin.data[k]);
        bestStates.push(linState.data[k]);
      }
      this.lowWater = lin.length;
    }
  }

  /** Undoes the last choice (and the reads forced after it); the event to try next, or -1
   *  if there was no choice left to undo. */
  private backtrack(): number {
    if (this.choiceOp.length === 0) return -1;
    const forcedBefore = this.choiceForced.pop();
    while (this.forced.length > forcedBefore) {
      const r = this.forced.pop();
      this.unlift(r);
      this.exclude(r);
    }
    const j = this.choiceOp.pop();
    this.stateId = this.choiceState.pop();
    this.infoRound = this.choiceRound.pop() === 1;
    this.exclude(j);
    this.unlift(j);
    // The choice and the reads forced after it leave the linearization.
    this.lin.length = this.linState.length = this.choiceLin.pop();
    if (this.lin.length < this.lowWater) this.lowWater = this.lin.length;
    return this.next[this.callNode[j]];
  }

  /** The linearization as steps (last step first), from the copy kept with bestOp. */
  private bestPrefix(): LinearizationStep | undefined {
    let top: LinearizationStep | undefined;
    for (let k = 0; k < this.best.length; k++) {
      top = {
        op: this.best.data[k],
        state: this.states.states[this.bestStates.data[k]],
        parent: top,
      };
    }
    return top;
  }

  private failure(): SearchOutcome {
    return {
      valid: false,
      explored: this.explored,
      failedOp: this.bestOp,
      prefix: this.bestPrefix(),
    };
  }

  /** Runs up to `steps` steps; the outcome, or undefined if not finished yet. */
  run(steps: number): SearchOutcome | undefined {
    const { next, evOp, evCall, kind, ops, states, HEAD, TAIL } = this;
    const rounds = this.order === "ok-first";
    let entry = this.entry;
    try {
      for (let step = 0; step < steps; step++) {
        this.explored++;
        if (this.closeReads) {
          this.closeReads = false;
          const doomed = this.forceReads();
          if (doomed >= 0) {
            this.noteDeadEnd(doomed);
            entry = this.backtrack();
            if (entry < 0) return this.failure();
            continue;
          }
          entry = next[HEAD];
        }
        if (entry === TAIL || this.remainingOk === 0)
          return { valid: true, explored: this.explored };
        const i = evOp[entry];
        if (evCall[entry] === 1) {
          const k = kind[i];
          // Reads left here are rejected in this state (else they were forced).
          if (k === READ || (rounds && (k === INFO) !== this.infoRound)) {
            entry = next[entry];
            continue;
          }
          const after = states.step(this.stateId, ops[i], i);
          if (after >= 0) {
            const before = this.stateId;
            this.include(i);
            this.stateId = after;
            if (this.remember()) {
              this.choiceOp.push(i);
              this.choiceState.push(before);
              this.choiceRound.push(this.infoRound ? 1 : 0);
              this.choiceForced.push(this.forced.length);
              this.choiceLin.push(this.lin.length);
              this.infoRound = false;
              this.lin.push(i);
              this.linState.push(after);
              this.lift(i);
              this.closeReads = true;
              continue;
            }
            this.stateId = before;
            this.exclude(i);
          }
          entry = next[entry];
          continue;
        }
        // The completion of an op not yet linearized: nothing tried so far can go next.
        this.noteDeadEnd(i);
        if (rounds && !this.infoRound) {
          this.infoRound = true; // now try the info ops
          entry = next[HEAD];
          continue;
        }
        // This order cannot work: undo the last choice and try what comes after it.
        entry = this.backtrack();
        if (entry < 0) return this.failure();
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
  const states = new StateTable(model, ops.length);
  const initId = states.intern(init);
  const orders: Order[] = ops.some((o) => !o.ok) ? ["ok-first", "history"] : ["history"];
  const layout = new Layout(model, states, ops);
  const searches = orders.map((order) => new Search(layout, states, initId, ops, order));
  const explored = () => searches.reduce((sum, s) => sum + s.explored, 0);
  const base = budget.memoBytes;
  const holding = () =>
    budget.holding(
      base + states.bytes + layout.bytes() + searches.reduce((sum, s) => sum + s.bytes(), 0),
    );
  for (let slice = 4096; ; slice = Math.min(slice * 2, 1 << 16)) {
    for (const search of searches) {
      const outcome = search.run(slice);
      holding();
      if (outcome) {
        outcome.explored = explored();
        return outcome;
      }
      const over = budget.exceeded();
      if (over) return { valid: "unknown", reason: over, explored: explored() };
    }
  }
}
