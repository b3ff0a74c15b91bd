/**
 * The Bloom filter carried in a sync offer (DESIGN §4, docs/bloom.md). Keys are 32-byte
 * bundle ids; only their first 16 bytes are read. Parameters (size, k, salt) are explicit
 * and travel on the wire; the filter never draws randomness itself ({@link randomSalt}
 * draws a salt from an injected {@link Rng}).
 */
import { BloomwalkError } from '../errors.js'
import type { Rng } from '../env/rng.js'
import { ID_BYTES_USED, LANE2_SEED_XOR, LANE3_XOR } from './hash.js'

/** Largest k accepted (hash probes per id). */
export const MAX_BLOOM_K = 32

/**
 * Largest filter, in bytes: m = 2^21 bits keeps the multiply-shift g·m below 2^53, hence
 * exact in binary64. 256 KiB is far beyond any datagram (≤ 1472 bytes).
 */
export const MAX_BLOOM_BYTES = 1 << 18

/** The three fields of a filter as they travel in a sync offer. */
export interface BloomWire {
  /** The bit array, LSB-first; m = 8 × bits.length. */
  bits: Uint8Array
  /** Number of probes per id, 1..32. */
  k: number
  /** 32-bit salt, an integer in [0, 2^32). */
  salt: number
}

const TWO_POW_32 = 4294967296

/**
 * A fixed-size Bloom filter over bundle ids with LSB-first bits, Kirsch–Mitzenmacher
 * double hashing plus a quadratic term (triple hashing) over salted fmix32 lanes, and
 * multiply-shift index mapping (docs/bloom.md).
 * `add` and `has` allocate nothing.
 */
export class BloomFilter {
  /** The bit array: bit j is `(bits[j >> 3] >> (j & 7)) & 1`. Shared, not copied. */
  readonly bits: Uint8Array
  /** Number of probes per id (1..32). */
  readonly k: number
  /** The 32-bit salt (uint32). */
  readonly salt: number
  /** Number of bits, 8 × `bits.length`. */
  readonly m: number
  #count = 0

  /**
   * Creates an empty filter of `bytes` bytes, or wraps an existing bit array (adopted, not
   * copied: later `add` calls write into it).
   * @param bytes byte length (integer 1..{@link MAX_BLOOM_BYTES}) or the bit array itself
   * @param k probes per id, integer 1..{@link MAX_BLOOM_K}
   * @param salt integer in [0, 2^32)
   * @throws {BloomwalkError} `INVALID_ARGUMENT` when any parameter is out of range
   */
  constructor(bytes: Uint8Array | number, k: number, salt: number) {
    const bits = typeof bytes === 'number' ? allocBits(bytes) : bytes
    if (!(bits instanceof Uint8Array)) invalid('bits must be a Uint8Array')
    if (bits.length < 1 || bits.length > MAX_BLOOM_BYTES) invalid(`byte length must be in [1, ${MAX_BLOOM_BYTES}], got ${bits.length}`)
    if (!Number.isInteger(k) || k < 1 || k > MAX_BLOOM_K) invalid(`k must be an integer in [1, ${MAX_BLOOM_K}], got ${k}`)
    if (!Number.isInteger(salt) || salt < 0 || salt >= TWO_POW_32) invalid(`salt must be an integer in [0, 2^32), got ${salt}`)
    this.bits = bits
    this.k = k
    this.salt = salt
    this.m = bits.length * 8
  }

  /**
   * Semantic check of a decoded offer's filter; copies the bits so the filter does not alias
   * the datagram. m is 8 × byte length by construction.
   * @throws {BloomwalkError} `INVALID_ARGUMENT` when bits is not a non-empty Uint8Array of at
   *   most {@link MAX_BLOOM_BYTES} bytes, k is not in 1..32, or salt is not a uint32
   */
  static fromWire(wire: BloomWire): BloomFilter {
    if (typeof wire !== 'object' || wire === null) invalid('wire filter must be an object')
    const { bits, k, salt } = wire
    if (!(bits instanceof Uint8Array)) invalid('bits must be a Uint8Array')
    if (bits.length < 1 || bits.length > MAX_BLOOM_BYTES) invalid(`byte length must be in [1, ${MAX_BLOOM_BYTES}], got ${bits.length}`)
    return new BloomFilter(bits.slice(), k, salt)
  }

  /** The wire fields (the bit array is shared, not copied). */
  toWire(): BloomWire {
    return { bits: this.bits, k: this.k, salt: this.salt }
  }

  /**
   * Number of `add` calls that set at least one new bit: a lower bound on the distinct ids
   * added (an id that was already a false positive does not count). Bits adopted through the
   * constructor or {@link fromWire} are not counted.
   */
  get count(): number {
    return this.#count
  }

  /**
   * Inserts `id` (only its first 16 bytes are read).
   * @returns true when at least one bit changed (the id was certainly absent before)
   * @throws {BloomwalkError} `INVALID_ARGUMENT` when `id` is not a Uint8Array of ≥ 16 bytes
   */
  add(id: Uint8Array): boolean {
    if (!(id instanceof Uint8Array) || id.length < ID_BYTES_USED) invalid('id must be a Uint8Array of at least 16 bytes')
    const salt = this.salt
    const w0 = id[0]! | (id[1]! << 8) | (id[2]! << 16) | (id[3]! << 24)
    const w1 = id[4]! | (id[5]! << 8) | (id[6]! << 16) | (id[7]! << 24)
    const w2 = id[8]! | (id[9]! << 8) | (id[10]! << 16) | (id[11]! << 24)
    const w3 = id[12]! | (id[13]! << 8) | (id[14]! << 16) | (id[15]! << 24)
    const a = fmix(fmix(fmix(fmix(salt ^ w0) ^ w1) ^ w2) ^ w3)
    const b = fmix(fmix(fmix(fmix(salt ^ LANE2_SEED_XOR ^ w3) ^ w2) ^ w1) ^ w0)
    const c = fmix(a ^ b ^ LANE3_XOR)
    let g = a >>> 0
    let step = b >>> 0
    const bits = this.bits
    const m = this.m
    let changed = 0
    for (let i = this.k; i > 0; i--) {
      const j = ((g * m) / TWO_POW_32) >>> 0
      const mask = 1 << (j & 7)
      const byte = bits[j >>> 3]!
      changed |= ~byte & mask
      bits[j >>> 3] = byte | mask
      g = (g + step) >>> 0
      step = (step + c) >>> 0
    }
    if (changed !== 0) this.#count++
    return changed !== 0
  }

  /**
   * Membership test: false means `id` was certainly never added; true means it probably
   * was (false-positive rate `bloomFalsePositiveRate`). An id shorter than 16 bytes,
   * or not a Uint8Array, is never present.
   */
  has(id: Uint8Array): boolean {
    if (!(id instanceof Uint8Array) || id.length < ID_BYTES_USED) return false
    const salt = this.salt
    const w0 = id[0]! | (id[1]! << 8) | (id[2]! << 16) | (id[3]! << 24)
    const w1 = id[4]! | (id[5]! << 8) | (id[6]! << 16) | (id[7]! << 24)
    const w2 = id[8]! | (id[9]! << 8) | (id[10]! << 16) | (id[11]! << 24)
    const w3 = id[12]! | (id[13]! << 8) | (id[14]! << 16) | (id[15]! << 24)
    const a = fmix(fmix(fmix(fmix(salt ^ w0) ^ w1) ^ w2) ^ w3)
    const b = fmix(fmix(fmix(fmix(salt ^ LANE2_SEED_XOR ^ w3) ^ w2) ^ w1) ^ w0)
    const c = fmix(a ^ b ^ LANE3_XOR)
    let g = a >>> 0
    let step = b >>> 0
    const bits = this.bits
    const m = this.m
    for (let i = this.k; i > 0; i--) {
      const j = ((g * m) / TWO_POW_32) >>> 0
      if ((bits[j >>> 3]! & (1 << (j & 7))) === 0) return false
      g = (g + step) >>> 0
      step = (step + c) >>> 0
    }
    return true
  }

  /** Number of bits set (population count). */
  bitsSet(): number {
    let n = 0
    for (const byte of this.bits) n += POPCOUNT[byte]!
    return n
  }

  /**
   * The false-positive probability given the bits actually set, (bitsSet / m)^k: tighter
   * than the a-priori `bloomFalsePositiveRate` once the filter is filled.
   */
  estimatedFalsePositiveRate(): number {
    return (this.bitsSet() / this.m) ** this.k
  }
}

/**
 * Draws a fresh 32-bit salt from an injected generator (a new one per filter, DESIGN §4).
 * @throws whatever `rng.u32()` throws
 */
export function randomSalt(rng: Rng): number {
  return rng.u32() >>> 0
}

/** fmix32 returning an int32 (the caller applies `>>> 0` once). */
function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

function allocBits(bytes: number): Uint8Array {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > MAX_BLOOM_BYTES) invalid(`byte length must be an integer in [1, ${MAX_BLOOM_BYTES}], got ${bytes}`)
  return new Uint8Array(bytes)
}

function invalid(message: string): never {
  throw new BloomwalkError('INVALID_ARGUMENT', `bloom: ${message}`)
}

const POPCOUNT = new Uint8Array(256)
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!
