// Integer structures of the search: sets of ops as bitsets, and stacks. Typed arrays, so the
// search allocates nothing per step and its memory is known.

/** A set of ops as a bitset over their ordinals, with the range of words that matter for
 *  the memo kept up to date: `lo` is the first word not full (every op below it is in the
 *  set), `hi` the last word not empty. */
export class OpSet {
  readonly words: Uint32Array;
  lo = 0;
  hi = -1;
  count = 0;
  private readonly lastFull: number;

  constructor(readonly size: number) {
    this.words = new Uint32Array((size + 31) >>> 5);
    this.lastFull = size % 32 === 0 ? 0xffffffff : 2 ** (size % 32) - 1;
  }

  private full(w: number): number {
    return w === this.words.length - 1 ? this.lastFull : 0xffffffff;
  }

  add(ord: number): void {
    const w = ord >>> 5;
    const words = this.words;
    words[w] |= 1 << (ord & 31);
    this.count++;
    if (w > this.hi) this.hi = w;
    if (w === this.lo) {
      let lo = this.lo;
      while (lo < words.length && words[lo] === this.full(lo)) lo++;
      this.lo = lo;
    }
  }

  remove(ord: number): void {
    const w = ord >>> 5;
    const words = this.words;
    words[w] &= ~(1 << (ord & 31));
    this.count--;
    if (w < this.lo) this.lo = w;
    if (w === this.hi && words[w] === 0) {
      let hi = w - 1;
      while (hi >= 0 && words[hi] === 0) hi--;
      this.hi = hi;
    }
  }

  /** The first word not empty (for a set that is not full below it, like the info set). */
  firstNonEmpty(): number {
    let w = 0;
    while (w <= this.hi && this.words[w] === 0) w++;
    return w;
  }
}

/** A growable stack of integers. */
export class IntStack {
  data = new Int32Array(16);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  pop(): number {
    return this.data[--this.length];
  }
}
