// The configurations a search has explored, so that it never explores one twice. A
// configuration is (model state, set of ok ops linearized, set of info ops linearized). The
// search reaches a configuration again when two orders of the same ops end in the same state;
// it also prunes one whose info set is a superset of a recorded one's (same state and ok set):
// with more info ops used up it has fewer options, so it fails too.
//
// Everything lives in typed arrays (a hash table of chains, and the entries one after another
// in chunks of 16 MB, never copied once full size), so the size is known and an entry costs
// no allocation. An entry stores the sets compactly: the ok ops are linearized nearly in
// history order, so the set is "every ok op up to word `lo` of the bitset, plus the words
// lo..hi", and only those words are stored. An entry is referred to by chunk * 2^22 + offset.

/** Header fields of an entry, then its ok words, then its info words. */
const NEXT = 0;
const STATE = 1;
const HASH = 2;
const OK_LO = 3;
const OK_LEN = 4;
const INFO_LO = 5;
const INFO_LEN = 6;
const HEADER = 7;
/** Chunks of 2^22 ints (16 MB): up to 512 of them (8 GB) can be addressed in 31 bits. */
const CHUNK_BITS = 22;

export class ConfigMemo {
  private buckets = new Int32Array(1 << 6).fill(-1);
  /** Full chunks, then the one being filled (the first grows by doubling up to full size). */
  private chunks: Int32Array[];
  /** Ints used in each full chunk, and in the last one. */
  private filled: number[] = [];
  private used = 0;
  private count = 0;

  private readonly chunkBits: number;
  private readonly chunk: number;

  /** `ok` and `info` are the search's own bitsets, read at each `add`. (`chunkBits` is for
   *  tests: small chunks.) */
  constructor(
    private readonly ok: Uint32Array,
    private readonly info: Uint32Array,
    chunkBits = CHUNK_BITS,
  ) {
    this.chunkBits = chunkBits;
    this.chunk = 1 << chunkBits;
    this.chunks = [new Int32Array(Math.min(512, this.chunk))];
  }

  /** Bytes held by the table. A new chunk's unused tail is never touched (not resident);
   *  the first chunk, while it grows, counts whole (its last copy may not be freed yet). */
  bytes(): number {
    const full = this.chunks.length - 1;
    const last = full === 0 ? this.chunks[0].length : this.used;
    return (full * this.chunk + last) * 4 + this.buckets.byteLength;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Records the current configuration, or returns false if it is pruned: an entry with the
   * same state and ok set and a subset of its info set is there already. `hash` is a hash of
   * the ok set. Every ok op in the words below `okLo` is linearized, none above `okHi`; the
   * info ops linearized all lie in words infoLo..infoHi (infoHi < infoLo: none).
   */
  add(state: number, hash: number, okLo: number, okHi: number, infoLo: number, infoHi: number) {
    const ok = this.ok;
    const info = this.info;
    const chunks = this.chunks;
    const bits = this.chunkBits;
    const offset = this.chunk - 1;
    const okLen = okHi >= okLo ? okHi - okLo + 1 : 0;
    const bucket = mix(state, hash) & (this.buckets.length - 1);
    for (let ref = this.buckets[bucket]; ref >= 0;) {
      const a = chunks[ref >>> bits];
      const e = ref & offset;
      ref = a[e + NEXT];
      if (a[e + STATE] !== state || a[e + HASH] !== hash) continue;
      if (a[e + OK_LO] !== okLo || a[e + OK_LEN] !== okLen) continue;
      const words = e + HEADER;
      let k = 0;
      while (k < okLen && a[words + k] === (ok[okLo + k] | 0)) k++;
      if (k < okLen) continue;
      const iLo = a[e + INFO_LO];
      const iLen = a[e + INFO_LEN];
      const infoWords = words + okLen;
      let m = 0;
      while (m < iLen && (a[infoWords + m] & ~info[iLo + m]) === 0) m++;
      if (m === iLen) return false;
    }
    const infoLen = infoHi >= infoLo ? infoHi - infoLo + 1 : 0;
    const size = HEADER + okLen + infoLen;
    const a = this.room(size);
    const e = this.used;
    a[e + NEXT] = this.buckets[bucket];
    a[e + STATE] = state;
    a[e + HASH] = hash;
    a[e + OK_LO] = okLo;
    a[e + OK_LEN] = okLen;
    a[e + INFO_LO] = infoLo;
    a[e + INFO_LEN] = infoLen;
    for (let k = 0; k < okLen; k++) a[e + HEADER + k] = ok[okLo + k];
    for (let m = 0; m < infoLen; m++) a[e + HEADER + okLen + m] = info[infoLo + m];
    this.buckets[bucket] = ((this.chunks.length - 1) << bits) | e;
    this.used += size;
    if (++this.count > this.buckets.length) this.rehash();
    return true;
  }

  /** The chunk with room for `size` more ints at `used`. */
  private room(size: number): Int32Array {
    const chunk = this.chunk;
    if (size > chunk) throw new Error(`a memo entry of ${size} words does not fit in a chunk`);
    let a = this.chunks[this.chunks.length - 1];
    if (this.used + size <= a.length) return a;
    if (a.length < chunk && this.used + size <= chunk) {
      const bigger = new Int32Array(Math.min(chunk, Math.max(a.length * 2, this.used + size)));
      bigger.set(a.subarray(0, this.used));
      a = this.chunks[this.chunks.length - 1] = bigger;
      return a;
    }
    if (this.chunks.length === 2 ** (31 - this.chunkBits))
      throw new Error("the memo table is full: no more chunks can be addressed");
    a = new Int32Array(chunk);
    this.chunks.push(a);
    this.filled.push(this.used);
    this.used = 0;
    return a;
  }

  /** Twice the buckets: chains stay about one entry long. */
  private rehash(): void {
    const buckets = new Int32Array(this.buckets.length * 2).fill(-1);
    const mask = buckets.length - 1;
    for (let c = 0; c < this.chunks.length; c++) {
      const a = this.chunks[c];
      const end = c === this.chunks.length - 1 ? this.used : this.filled[c];
      for (let e = 0; e < end; e += HEADER + a[e + OK_LEN] + a[e + INFO_LEN]) {
        const b = mix(a[e + STATE], a[e + HASH]) & mask;
        a[e + NEXT] = buckets[b];
        buckets[b] = (c << this.chunkBits) | e;
      }
    }
    this.buckets = buckets;
  }
}

function mix(state: number, hash: number): number {
  let x = Math.imul(state, 0x9e3779b1) ^ hash;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  return x ^ (x >>> 13);
}
