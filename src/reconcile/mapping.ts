/**
 * Which coded symbols an item goes into (docs/reconcile.md §3 is normative).
 *
 * The sequence is seeded by the item's 64-bit hash and starts at index 0, so every item is
 * in symbol 0 (the rateless stopping rule relies on it). Each step advances a 64-bit
 * multiplicative generator and draws the gap to the next index from it:
 *
 *   s  ← s · 0xda942042e4dd58b5  mod 2^64          (s starts as the item hash)
 *   r  ← binary64(s)                                (round to nearest, ties to even)
 *   g  ← ceil((i + 1.5) · (2^32 / sqrt(r + 1) − 1)) (IEEE-754 binary64, in this order)
 *   i  ← i + max(g, 1)
 *
 * With u = s / 2^64 uniform, 2^32 / sqrt(r + 1) ≈ (1 − u')^(−1/2) for u' uniform, and the
 * gap is the inverse of P(next > j | at i) = ((i + 1.5) / (j + 1.5))², the telescoped form
 * of index j being hit with probability 1 / (1 + j/2) (Yang et al., SIGCOMM 2024, §4); the
 * 1.5 makes it an approximation, off by 4 % at j = 1..4 and under 0.2 % from j = 10. The
 * generator and formula are those of the paper's reference code (yangl1996/riblt,
 * `randomMapping`), so for the same seed both produce the same indices; the `max(g, 1)` guard
 * is ours (g = 0 happens only when s is within about 2^11 of 2^64; it would repeat an index,
 * XORing an item out of a symbol that still counts it).
 *
 * The 64-bit product is done on two uint32 halves; no bigint on this path.
 */

const MUL_HI = 0xda942042
const MUL_LO = 0xe4dd58b5
const MUL_LO_0 = MUL_LO & 0xffff
const MUL_LO_1 = MUL_LO >>> 16
const TWO_POW_32 = 4294967296

/**
 * A cursor over one item's index sequence. `index` is the current index (0 after
 * construction or {@link IndexSequence.reset}); {@link IndexSequence.next} advances it.
 * Indices grow strictly and without bound (stop when `index` reaches the sketch length).
 */
export class IndexSequence {
  /** The current index. */
  index = 0
  private hi: number
  private lo: number

  /** A sequence seeded by the item hash `hi · 2^32 + lo`. */
  constructor(hashHi: number, hashLo: number) {
    this.hi = hashHi >>> 0
    this.lo = hashLo >>> 0
  }

  /** Restarts at index 0 with a new seed (lets one cursor serve many items). */
  reset(hashHi: number, hashLo: number): void {
    this.hi = hashHi >>> 0
    this.lo = hashLo >>> 0
    this.index = 0
  }

  /** The generator state's high half (to save a cursor; see {@link IndexSequence.restore}). */
  get stateHi(): number {
    return this.hi
  }

  /** The generator state's low half. */
  get stateLo(): number {
    return this.lo
  }

  /** Resumes a saved cursor: generator state `stateHi · 2^32 + stateLo` at `index`. */
  restore(stateHi: number, stateLo: number, index: number): void {
    this.hi = stateHi >>> 0
    this.lo = stateLo >>> 0
    this.index = index
  }

  /** Advances to the next index and returns it. */
  next(): number {
    const lo = this.lo
    // The high word of lo · MUL_LO, from 16-bit partial products (each sum stays < 2^32).
    const a0 = lo & 0xffff
    const a1 = lo >>> 16
    const p00 = a0 * MUL_LO_0
    const mid1 = a1 * MUL_LO_0 + (p00 >>> 16)
    const mid2 = a0 * MUL_LO_1 + (mid1 & 0xffff)
    const carry = a1 * MUL_LO_1 + (mid1 >>> 16) + (mid2 >>> 16)
    const hi = (carry + Math.imul(this.hi, MUL_LO) + Math.imul(lo, MUL_HI)) >>> 0
    const newLo = Math.imul(lo, MUL_LO) >>> 0
    this.hi = hi
    this.lo = newLo
    const r = hi * TWO_POW_32 + newLo
    const gap = Math.ceil((this.index + 1.5) * (TWO_POW_32 / Math.sqrt(r + 1) - 1))
    this.index += gap > 1 ? gap : 1
    return this.index
  }
}

/**
 * The indices below `length` that an item with hash `hi · 2^32 + lo` maps to, in order
 * (for tests, vectors and tools; the sketch walks an {@link IndexSequence} instead).
 */
export function indicesBelow(hashHi: number, hashLo: number, length: number): number[] {
  const out: number[] = []
  const seq = new IndexSequence(hashHi, hashLo)
  for (let i = 0; i < length; i = seq.next()) out.push(i)
  return out
}

/** The first `count` indices of an item's sequence (docs/reconcile.md vectors). */
export function firstIndices(hashHi: number, hashLo: number, count: number): number[] {
  const out: number[] = []
  const seq = new IndexSequence(hashHi, hashLo)
  for (let k = 0; k < count; k++) out.push(k === 0 ? 0 : seq.next())
  return out
}

/**
 * Expected number of symbols an item touches in a sketch of `length` symbols:
 * Σ_{i<length} 1/(1 + i/2) ≈ 2·ln(length) − 0.85.
 */
export function expectedDegree(length: number): number {
  let sum = 0
  for (let i = 0; i < length; i++) sum += 2 / (i + 2)
  return sum
}
