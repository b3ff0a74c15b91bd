/**
 * Bloom sizing math (DESIGN §4, docs/bloom.md §4). Pure functions of the standard
 * approximation p = (1 − e^(−k·n/m))^k with optimal k = (m/n)·ln 2, which gives
 * m/n = ln(1/p) / ln²2 bits per item (9.59 at 1 %).
 *
 * Sizes are in bytes where they describe a filter on the wire (m = 8 × bytes) and in bits
 * where the formula is about m (`bloomOptimalK`).
 */
import { BloomwalkError } from '../errors.js'
import { MAX_BLOOM_K } from './filter.js'

const LN2 = Math.LN2
const LN2_SQUARED = LN2 * LN2

/**
 * Bits per item an optimally configured filter needs for false-positive rate `rate`:
 * ln(1/p) / ln²2 (9.585 at 1 %).
 * @throws {BloomwalkError} `INVALID_ARGUMENT` unless 0 < rate < 1
 */
export function bloomBitsPerItem(rate: number): number {
  checkRate(rate)
  return Math.log(1 / rate) / LN2_SQUARED
}

/**
 * How many ids a filter of `bytes` bytes holds at false-positive rate `rate` (with optimal
 * k): n = floor(m·ln²2 / ln(1/p)), m = 8·bytes. 1000 bytes at 1 % hold 834 ids.
 * @throws {BloomwalkError} `INVALID_ARGUMENT` unless bytes is a non-negative integer and
 *   0 < rate < 1
 */
export function bloomCapacity(bytes: number, rate: number): number {
  checkCount('bytes', bytes)
  checkRate(rate)
  return Math.floor((8 * bytes * LN2_SQUARED) / Math.log(1 / rate))
}

/**
 * The optimal number of probes for `items` ids in `bits` bits: round(m/n · ln 2), clamped
 * to [1, 32]. With no items there is nothing to tell apart and the answer is 1 (cheapest).
 * @throws {BloomwalkError} `INVALID_ARGUMENT` unless bits is a positive integer and items a
 *   non-negative integer
 */
export function bloomOptimalK(bits: number, items: number): number {
  checkCount('bits', bits)
  checkCount('items', items)
  if (bits === 0) invalid('bits must be positive')
  if (items === 0) return 1
  return Math.min(MAX_BLOOM_K, Math.max(1, Math.round((bits / items) * LN2)))
}

/** A filter size: byte length and probe count. */
export interface BloomSize {
  bytes: number
  k: number
}

/**
 * The smallest filter holding `items` ids at false-positive rate `rate`:
 * bytes = max(1, ceil(n · ln(1/p) / ln²2 / 8)) and k = {@link bloomOptimalK}(8·bytes, n).
 * The result may exceed `MAX_BLOOM_BYTES`; the filter constructor rejects such sizes.
 * @throws {BloomwalkError} `INVALID_ARGUMENT` unless items is a non-negative integer and
 *   0 < rate < 1
 */
export function bloomSizeFor(items: number, rate: number): BloomSize {
  checkCount('items', items)
  const bytes = Math.max(1, Math.ceil((items * bloomBitsPerItem(rate)) / 8))
  return { bytes, k: bloomOptimalK(8 * bytes, items) }
}

/**
 * The expected false-positive rate of a filter of `bytes` bytes and `k` probes holding
 * `items` distinct ids: (1 − e^(−k·n/m))^k, m = 8·bytes.
 * @throws {BloomwalkError} `INVALID_ARGUMENT` unless bytes is a positive integer, k an
 *   integer in [1, 32] and items a non-negative integer
 */
export function bloomFalsePositiveRate(bytes: number, k: number, items: number): number {
  checkCount('bytes', bytes)
  if (bytes === 0) invalid('bytes must be positive')
  if (!Number.isInteger(k) || k < 1 || k > MAX_BLOOM_K) invalid(`k must be an integer in [1, ${MAX_BLOOM_K}], got ${k}`)
  checkCount('items', items)
  return (1 - Math.exp((-k * items) / (8 * bytes))) ** k
}

function checkRate(rate: number): void {
  if (typeof rate !== 'number' || !(rate > 0 && rate < 1)) invalid(`rate must be in (0, 1), got ${rate}`)
}

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) invalid(`${name} must be a non-negative safe integer, got ${value}`)
}

function invalid(message: string): never {
  throw new BloomwalkError('INVALID_ARGUMENT', `bloom sizing: ${message}`)
}
