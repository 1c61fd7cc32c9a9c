// Small integer pairs to integers: the search's caches of transitions and of verdicts.

/** A hash map from pairs of non-negative integers to integers, in one typed array (open
 *  addressing, linear probing): no allocation per entry, and its size is exact. */
export class PairMap {
  static readonly MISSING = -2;
  private slots: Int32Array;
  private count = 0;

  /** `expected`: about how many entries it will hold (it grows past that as needed). */
  constructor(expected = 32) {
    let capacity = 64;
    while (capacity < 2 * expected && capacity < 1 << 16) capacity *= 2;
    this.slots = new Int32Array(3 * capacity).fill(-1);
  }

  bytes(): number {
    return this.slots.byteLength;
  }

  get(a: number, b: number): number {
    const slots = this.slots;
    const mask = slots.length / 3 - 1;
    for (let i = pairHash(a, b) & mask; ; i = (i + 1) & mask) {
      const k = slots[3 * i];
      if (k === -1) return PairMap.MISSING;
      if (k === a && slots[3 * i + 1] === b) return slots[3 * i + 2];
    }
  }

  set(a: number, b: number, value: number): void {
    if (2 * (this.count + 1) > this.slots.length / 3) this.grow();
    this.put(this.slots, a, b, value);
    this.count++;
  }

  private put(slots: Int32Array, a: number, b: number, value: number): void {
    const mask = slots.length / 3 - 1;
    let i = pairHash(a, b) & mask;
    while (slots[3 * i] !== -1) i = (i + 1) & mask;
    slots[3 * i] = a;
    slots[3 * i + 1] = b;
    slots[3 * i + 2] = value;
  }

  private grow(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2).fill(-1);
    for (let i = 0; i < old.length; i += 3) {
      if (old[i] !== -1) this.put(slots, old[i], old[i + 1], old[i + 2]);
    }
    this.slots = slots;
  }
}

function pairHash(a: number, b: number): number {
  let x = Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b);
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d);
  return x ^ (x >>> 12);
}
