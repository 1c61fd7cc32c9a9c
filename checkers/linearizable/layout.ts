// What a search knows of its ops before it starts, built once per partition and shared by
// the searches that run on it: the kind of each op, the events (invocations and
// completions) in history order as a doubly linked list, and, for a model with Growth, the
// reads and the ops that replace the state, each in a list of their own. A search copies the
// lists it takes ops out of.
import type { Growth, Model } from "./models/model.ts";
import type { SearchOp } from "./search.ts";
import type { StateTable } from "./state-table.ts";

/** What an op is to the search. */
export const INFO = 0;
export const OK = 1;
/** An ok op that never changes the state: linearized as soon as it can be (see search.ts). */
export const READ = 2;

export class Layout<S> {
  readonly n: number;
  readonly kind: Uint8Array;
  /** Ordinal of each op among the ok ops, or among the info ops. */
  readonly ord: Int32Array;
  readonly okCount: number;
  readonly infoCount: number;
  /** Random numbers for a Zobrist hash of the set of ok ops linearized, by ordinal. */
  readonly zobrist: Int32Array;
  /** Events: node ids 0..E-1, then the head and tail sentinels. */
  readonly HEAD: number;
  readonly TAIL: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly evOp: Int32Array;
  readonly evCall: Uint8Array;
  readonly callNode: Int32Array;
  readonly retNode: Int32Array;
  /** With Model.growth: ops that replace the state, in a list in history order (node n is
   *  the head), and the state each leaves (-1: it depends); the reads, likewise. */
  readonly isReset: Uint8Array;
  readonly resetNext: Int32Array;
  readonly resetPrev: Int32Array;
  readonly resetState: Int32Array;
  readonly readNext: Int32Array;
  readonly readPrev: Int32Array;
  /** Model.growth, if the partition has an op that extends the state. Without one (a plain
   *  register) the search is quick anyway and the bookkeeping would cost more than it saves. */
  readonly growth: Growth<S> | undefined;

  constructor(model: Model<S>, states: StateTable<S>, ops: SearchOp[]) {
    const n = (this.n = ops.length);
    this.kind = new Uint8Array(n);
    this.ord = new Int32Array(n);
    let okCount = 0;
    let infoCount = 0;
    for (let i = 0; i < n; i++) {
      const op = ops[i];
      if (op.ok) {
        this.kind[i] = model.readOnly(op) ? READ : OK;
        this.ord[i] = okCount++;
      } else {
        this.kind[i] = INFO;
        this.ord[i] = infoCount++;
      }
    }
    this.okCount = okCount;
    this.infoCount = infoCount;
    this.zobrist = zobristTable(okCount);

    // An invocation per op, a completion per ok op. Invocations come in order already (ops
    // are sorted by callPos); completions are sorted, then the two merged.
    const rets: number[] = [];
    let sorted = true;
    for (let i = 0; i < n; i++) {
      if (!ops[i].ok) continue;
      if (rets.length > 0 && ops[rets[rets.length - 1]].retPos > ops[i].retPos) sorted = false;
      rets.push(i);
    }
    if (!sorted) rets.sort((x, y) => ops[x].retPos - ops[y].retPos);
    const E = n + okCount;
    this.HEAD = E;
    this.TAIL = E + 1;
    this.next = new Int32Array(E + 2);
    this.prev = new Int32Array(E + 2);
    this.evOp = new Int32Array(E);
    this.evCall = new Uint8Array(E);
    this.callNode = new Int32Array(n);
    this.retNode = new Int32Array(n).fill(-1);
    for (let e = 0, i = 0, k = 0; e < E; e++) {
      if (k < okCount && (i === n || ops[rets[k]].retPos < ops[i].callPos)) {
        this.evOp[e] = rets[k];
        this.retNode[rets[k++]] = e;
      } else {
        this.evOp[e] = i;
        this.evCall[e] = 1;
        this.callNode[i++] = e;
      }
      this.next[e] = e + 1 === E ? this.TAIL : e + 1;
      this.prev[e] = e === 0 ? this.HEAD : e - 1;
    }
    this.next[this.HEAD] = E === 0 ? this.TAIL : 0;
    this.prev[this.TAIL] = E === 0 ? this.HEAD : E - 1;

    const g = model.growth;
    const growth = (this.growth = g && ops.some((op) => g.extends(op)) ? g : undefined);
    this.isReset = new Uint8Array(n);
    this.resetNext = new Int32Array(n + 1);
    this.resetPrev = new Int32Array(n + 1);
    this.resetState = new Int32Array(n).fill(-1);
    this.readNext = new Int32Array(n + 1);
    this.readPrev = new Int32Array(n + 1);
    let lastReset = n;
    let lastRead = n;
    for (let i = 0; i < n && growth; i++) {
      if (this.kind[i] === READ) {
        this.readNext[lastRead] = i;
        this.readPrev[i] = lastRead;
        lastRead = i;
      } else if (!growth.extends(ops[i])) {
        this.isReset[i] = 1;
        const to = growth.resetsTo(ops[i]);
        if (to) this.resetState[i] = states.intern(to.state);
        this.resetNext[lastReset] = i;
        this.resetPrev[i] = lastReset;
        lastReset = i;
      }
    }
    this.resetNext[lastReset] = n;
    this.resetPrev[n] = lastReset;
    this.readNext[lastRead] = n;
    this.readPrev[n] = lastRead;
  }

  /** Bytes of its arrays. */
  bytes(): number {
    return 4 * (this.n * 13 + this.evOp.length * 4);
  }
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
